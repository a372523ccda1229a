"""`kampung-bahagia backup DIR` and `restore DIR`: the database and the media files it names, with a manifest."""
