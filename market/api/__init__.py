"""The versioned JSON API (/api/v1) and its OpenAPI description, generated from its schemas;
mounted on the app by market.api.setup.init_api."""
