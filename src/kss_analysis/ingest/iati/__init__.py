"""IATI activities (Datastore JSON and activity XML): read, then place activities and transactions."""
