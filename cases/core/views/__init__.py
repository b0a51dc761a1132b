"""Case pages: thin views that parse, call a selector or service, and render. One module
per concept: `cases` (list, new, detail, edit, close), `people`, `households` (children
and a returning household's new case), `access` (grants)."""
