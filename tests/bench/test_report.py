"""`python -m bench.report` prints the published results (tracked in docs/bench-results/),
so a clean clone has something to print."""

import json

from bench import report


def test_the_published_city_results_print_as_a_markdown_table(capsys):
    assert report.main(["city"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### city (measured 20")
    assert "| steering dashboard for nine months not pre-computed (first request) |" in out
    assert "| case list (coordinator): first page |" in out


def test_results_of_an_own_run_print_from_another_folder(tmp_path, capsys):
    row = {
        "name": "x", "runs": 1, "median_ms": 2.0, "p95_ms": 3.0, "queries": 4, "floor_ms": 0.5,
        "ratio_to_floor": 4.0, "budget_ms": 100, "rate_per_s": None, "min_rate": None,
        "within_budget": False,
    }  # fmt: skip
    (tmp_path / "district.json").write_text(json.dumps({"scale": "district", "results": [row]}))
    assert report.main(["--from", str(tmp_path), "district"]) == 0
    assert (
        "| x | 2.0 | 3.0 | 4 | 0.5 | 4.0 | – | – | – | p95 ≤ 100 ms | **no** |"
        in capsys.readouterr().out
    )
    assert report.main(["--from", str(tmp_path), "national"]) == 1
    assert "No results for 'national'" in capsys.readouterr().out


def test_pages_are_marked_against_twenty_queries_and_three_times_their_framework_floor(
    tmp_path, capsys
):
    base = {
        "runs": 1, "median_ms": 9.0, "p95_ms": 9.5, "floor_ms": 0.5, "ratio_to_floor": 18.0,
        "budget_ms": 100, "rate_per_s": None, "min_rate": None, "within_budget": True,
    }  # fmt: skip
    near = dict(base, name="near", queries=12, framework_floor_ms=4.5,
                ratio_to_framework_floor=2.0, near_floor=True, queries_per_request=12)  # fmt: skip
    far = dict(base, name="far", queries=25, framework_floor_ms=2.0,
               ratio_to_framework_floor=4.5, near_floor=False, queries_per_request=18)  # fmt: skip
    (tmp_path / "city.json").write_text(json.dumps({"scale": "city", "results": [near, far]}))
    assert report.main(["--from", str(tmp_path), "city"]) == 0
    out = capsys.readouterr().out
    assert "| near | 9.0 | 9.5 | 12 | 0.5 | 18.0 | 4.5 | 2.0 |" in out
    # Each request of the search at most 18: within 20; its ratio is not.
    assert "| far | 9.0 | 9.5 | 25 (18 per request) | 0.5 | 18.0 | 2.0 | **4.5** |" in out
    assert "Pages at most 20 queries and within 3× their framework floor: 1 of 2" in out
