"""aqi-pipeline Spark jobs: Bronze, Silver and Gold stages and the EPA AQI core."""
