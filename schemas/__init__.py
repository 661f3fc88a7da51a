"""pyarrow schemas: the single source of truth for every column Thresher writes."""
from schemas.tables import (  # noqa: F401
    ANNOTATED,
    CLUSTERS,
    CURATED,
    DOCUMENTS,
    ERRORS,
    MANIFEST_FORMAT,
    MANIFEST_VERSION,
    MANIFEST_INDEX,
    REJECTED,
    REPEATS,
    SIGNATURES,
    SCHEMA_VERSION,
    SPAN,
    conform,
    schema_by_name,
    validate_table,
)
