"""Where the Docker engine is asked: the quick socket reader and the docker SDK side."""
