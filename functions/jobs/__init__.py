"""The jobs function. Its handler loads without garbage collection (`pforte.core.startup`)."""

from pforte.core.startup import pause_collection

pause_collection()
