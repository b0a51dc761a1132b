"""CSV import: all or nothing; every rejected row reported with its line number."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from cases.evictions.services.imports import COLUMNS
from cases.models import LandlordSignal

from .conftest import OTHER_PN, TENANT_PN

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS) + "\n"


def good_csv() -> str:
    today = timezone.localdate().isoformat()
    return (
        HEADER
        + f"rent_arrears,{today},{TENANT_PN},,,8000,Två månader,,\n"
        + f'disturbance,{today},,"Kim Störsson","Sveavägen 1",,Musik nattetid,ja,nej\n'
    )


def broken_csv() -> str:
    today = timezone.localdate().isoformat()
    return (
        HEADER
        + f"rent_arrears,{today},{TENANT_PN},,,8000,ok,,\n"
        + f"burglary,{today},,,,,,,\n"  # line 3: unknown kind
        + f"rent_arrears,{today},19720304-2381,,,,,,\n"  # line 4: bad identity number
        + f"rent_arrears,03/05/2026,{OTHER_PN},,,-10,,,\n"  # line 5: bad date and amount
        + f"disturbance,{today},,,,,,maybe,\n"  # line 6: yes/no
        + f"neglect,{today}"
        + "," * len(COLUMNS)
        + "extra\n"  # line 7: too many columns
    )


def test_file_with_broken_rows_imports_nothing_and_reports_every_row(tmp_path, landlord):
    path = tmp_path / "batch.csv"
    path.write_text(broken_csv(), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_signals", str(path), "--landlord", "Familjebostäder", stderr=err)
    report = err.getvalue()
    for line, field in [
        (3, "kind"),
        (4, "personal_number"),
        (5, "received_on"),
        (5, "arrears_amount"),
        (6, "landlord_warned_tenant"),
        (7, "row"),
    ]:
        assert f"{line}, {field}" in report.replace("Rad", "Line").replace("rad", "line") or (
            f"Line {line}, {field}" in report
        ), (line, field, report)
    assert "Line 2" not in report and "Rad 2" not in report
    assert LandlordSignal.objects.count() == 0


def test_good_file_imports_every_row(tmp_path, landlord):
    path = tmp_path / "batch.csv"
    path.write_text(good_csv(), encoding="utf-8")
    out = StringIO()
    call_command("import_signals", str(path), "--landlord", "Familjebostäder", stdout=out)
    assert "Imported 2" in out.getvalue()
    rows = list(LandlordSignal.objects.order_by("id"))
    assert [r.channel for r in rows] == ["import", "import"]
    assert rows[1].landlord_warned_tenant is True and rows[1].landlord_notified_board is False


def test_unknown_landlord(tmp_path, org):
    path = tmp_path / "batch.csv"
    path.write_text(good_csv(), encoding="utf-8")
    with pytest.raises(CommandError, match="No landlord"):
        call_command("import_signals", str(path), "--landlord", "Okänd AB")


def test_upload_page(org, landlord, login):
    client = login(org.users["coordinator"])
    url = reverse("cases:signal_import")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"landlord": landlord.pk, "file": SimpleUploadedFile("b.csv", broken_csv().encode())},
    )
    assert response.status_code == 400
    assert len(response.context["rejected"]) >= 6
    assert LandlordSignal.objects.count() == 0
    response = client.post(
        url, {"landlord": landlord.pk, "file": SimpleUploadedFile("b.csv", good_csv().encode())}
    )
    assert response.status_code == 302
    assert LandlordSignal.objects.count() == 2
    bad_header = client.post(
        url, {"landlord": landlord.pk, "file": SimpleUploadedFile("b.csv", b"foo,bar\n1,2\n")}
    )
    assert bad_header.status_code == 400
    not_text = client.post(
        url, {"landlord": landlord.pk, "file": SimpleUploadedFile("b.csv", b"\xff\xfe\x00bad")}
    )
    assert not_text.status_code == 400
    assert LandlordSignal.objects.count() == 2


def test_semicolon_separated_file_from_swedish_excel(landlord):
    from decimal import Decimal

    from cases.evictions.services.imports import import_signals

    today = timezone.localdate().isoformat()
    text = (
        ";".join(COLUMNS)
        + "\r\n"
        + f"rent_arrears;{today};{TENANT_PN};;;8000,50;Två månader, obetalt;;\r\n"
        + f'disturbance;{today};;"Kim Störsson";"Sveavägen 1";;Musik;ja;nej\r\n'
    )
    created = import_signals(landlord=landlord, data=text.encode("utf-8-sig"))
    assert [s.kind for s in created] == ["rent_arrears", "disturbance"]
    first = LandlordSignal.objects.get(pk=created[0].pk)
    assert first.arrears_amount == Decimal("8000.50")
    assert first.description == "Två månader, obetalt"


def test_a_multi_line_row_is_reported_by_its_first_line(landlord):
    from cases.evictions.services.imports import ImportRejected, import_signals

    today = timezone.localdate().isoformat()
    text = (
        HEADER
        + f'rent_arrears,{today},,,,,"Första raden\nandra raden\ntredje",,\n'  # lines 2-4
        + f'burglary,{today},,,,,"Ett\ntvå",,\n'  # lines 5-6: unknown kind
        + "\n"  # line 7: blank
        + f"rent_arrears,{today},,,,-5,,,\n"  # line 8: negative amount
    )
    with pytest.raises(ImportRejected) as exc:
        import_signals(landlord=landlord, data=text)
    assert [(e.line, e.field) for e in exc.value.errors] == [
        (5, "kind"),
        (8, "arrears_amount"),
    ]
    assert LandlordSignal.objects.count() == 0


def test_a_bad_date_names_its_field():
    from django.core.exceptions import ValidationError

    from cases.evictions.services.imports import parse_date

    with pytest.raises(ValidationError) as exc:
        parse_date("03/05/2026", "paid_on")
    assert list(exc.value.message_dict) == ["paid_on"]
