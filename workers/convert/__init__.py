"""Office conversion through a warm LibreOffice (unoserver), supervised by escr itself.

`servers` runs one LibreOffice process group; `supervisor` owns the warm servers of a process
and leases them over a Unix socket (so sandbox children, which may not start LibreOffice under
their own memory limit, can use them); `libreoffice.convert` is the one call everything else
uses (docs/decisions/0024-office-conversion.md).
"""
