"""The base of every model of ours.

`defer_build`: pydantic builds a model's validator when it is first used instead of when its class
is defined. A function defines the models of all its routes but a request uses a few, so building
them all at import would be cold start paid for nothing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
