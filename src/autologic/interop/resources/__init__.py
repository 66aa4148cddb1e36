"""One module per family of FHIR resources: how rows of a clinic become R4 resources, and
which search parameters each type answers.  ``registry`` lists the types served."""
