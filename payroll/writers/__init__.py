"""Writers of the close package: CSV, XLSX, HTML summary, manifest."""
