"""The imports function and its worker. A handler loads without garbage collection
(`pforte.core.startup`)."""

from pforte.core.startup import pause_collection

pause_collection()
