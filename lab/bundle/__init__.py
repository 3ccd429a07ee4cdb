"""Offline rooms: a course and every image it needs in one directory (`lab bundle`), checked
blob by blob, served as a registry mirror, loaded into an engine."""
