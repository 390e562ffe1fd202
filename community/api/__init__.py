"""The JSON API: shared blueprint factory, error schema, pagination and OpenAPI set-up."""
