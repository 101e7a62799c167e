"""The article site: template context, page rendering, figures, the MkDocs build and curated samples."""
