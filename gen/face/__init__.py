"""Faces in any photo: the face-api detector run in Chromium, the landmark template of the training faces,
and the similarity alignment onto it that Python and the Try-it page share."""
