"""Matter catalogue (public) and package deployment (analysts)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.errors import Invalid
from engine.services import catalogue

from ..context import bearer_token, runtime
from ..schemas import (
    DeployArgsSchema,
    MatterSchema,
    MatterSummarySchema,
    MatterVersionSchema,
    ProblemSchema,
)

blp = Blueprint(
    "matters",
    __name__,
    url_prefix="/api/matters",
    description="The catalogue of matters (事项) and their deployment",
)

MAX_PACKAGE_BYTES = catalogue.MAX_PACKAGE_BYTES


@blp.route("")
class Catalogue(MethodView):
    @blp.response(200, MatterSummarySchema(many=True))
    def get(self):
        """The catalogue: the newest version of every matter."""
        return catalogue.catalogue(runtime())

    @blp.arguments(DeployArgsSchema(), location="files")
    @blp.response(201, MatterVersionSchema)
    @blp.alt_response(401, schema=ProblemSchema, description="not logged in")
    @blp.alt_response(403, schema=ProblemSchema, description="not an analyst")
    @blp.alt_response(422, schema=ProblemSchema, description="every problem of the package")
    def post(self, args):
        """Deploy a package (zip) as the next version of its key."""
        upload = args["package"]
        data = upload.read(MAX_PACKAGE_BYTES + 1)
        if len(data) > MAX_PACKAGE_BYTES:
            raise Invalid(
                "the package is too large",
                errors={"package": [f"at most {MAX_PACKAGE_BYTES} bytes"]},
            )
        return catalogue.deploy_package(runtime(), bearer_token(), data)


@blp.route("/<key>")
class MatterDetail(MethodView):
    @blp.response(200, MatterSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, key):
        """The newest version: its one form, materials (一次告知), deadlines, departments."""
        return catalogue.matter(runtime(), key)


@blp.route("/<key>/versions")
class MatterVersions(MethodView):
    @blp.response(200, MatterVersionSchema(many=True))
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, key):
        """Every deployed version of a matter."""
        return catalogue.versions(runtime(), key)
