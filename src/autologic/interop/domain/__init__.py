"""FHIR R4 rules that need no database: scopes, search parameters, paging cursors and the shape
of an OperationOutcome and a Bundle."""
