"""Impact dashboard of a cité éducative: store, ingestion, indicators and charts."""
