"""COCO mAP of a variant: the dataset and its images, running the model over them, scoring with
COCOeval, and the bootstrap intervals of the figure.

Modules are imported by their users, not here, so importing the package stays cheap."""
