"""Matter catalogue (public) and package deployment (analysts)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine import matters
from engine.errors import Invalid
from engine.workflow.specs import compiled

from ..context import staff_unit, unit
from ..schemas import DeployArgsSchema, MatterSchema, MatterSummarySchema, MatterVersionSchema, \
    ProblemSchema

blp = Blueprint("matters", __name__, url_prefix="/api/matters",
                description="The catalogue of matters (事项) and their deployment")

MAX_PACKAGE_BYTES = 20 * 1024 * 1024


def matter_view(matter) -> dict:
    package = compiled(matter).package
    return {"key": matter.key, "version": matter.version, "title": matter.title,
            "deployed_at": matter.deployed_at, "form": matter.form_schema,
            "materials": package.materials, "deadline": package.deadline,
            "calendar": package.calendar,
            "departments": {key: {"name": d.get("name"), "lead": bool(d.get("lead"))}
                            for key, d in package.departments.items()}}


@blp.route("")
class Catalogue(MethodView):
    @blp.response(200, MatterSummarySchema(many=True))
    def get(self):
        """The catalogue: the newest version of every matter."""
        with unit() as uow:
            return matters.catalogue(uow)

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
            raise Invalid("the package is too large",
                          errors={"package": [f"at most {MAX_PACKAGE_BYTES} bytes"]})
        with staff_unit() as (uow, actor):
            matter = matters.deploy(uow, actor, data)
            uow.commit()
            return matter


@blp.route("/<key>")
class MatterDetail(MethodView):
    @blp.response(200, MatterSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, key):
        """The newest version: its one form, materials (一次告知), deadlines, departments."""
        with unit() as uow:
            return matter_view(matters.latest(uow, key))


@blp.route("/<key>/versions")
class MatterVersions(MethodView):
    @blp.response(200, MatterVersionSchema(many=True))
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, key):
        """Every deployed version of a matter."""
        with unit() as uow:
            return matters.versions(uow, key)
