"""The graph that is measured: which ONNX file measures a variant (exports, INT8 copies), its
identity (graph hash) and its size (parameters, FLOPs).

Modules are imported by their users, not here, so importing the package stays cheap."""
