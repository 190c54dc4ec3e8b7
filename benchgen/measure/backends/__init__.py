"""The inference backends: which run on this machine, the sessions and engines that run a model,
the feeds they take, and the GPU they run on.

Modules are imported by their users, not here, so importing the package stays cheap."""
