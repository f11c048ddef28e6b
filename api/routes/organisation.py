"""The organisation (SPEC §7): the unit tree (departments) and routing tables."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.services import organisation

from ..context import bearer_token, runtime
from ..schemas import (
    ProblemSchema,
    RoutingArgsSchema,
    RoutingTableSchema,
    UnitArgsSchema,
    UnitChangeSchema,
    UnitInSchema,
    UnitSchema,
)

blp = Blueprint(
    "organisation",
    __name__,
    url_prefix="/api",
    description="The organisation: units in one tree, routing tables (派单目录)",
)


@blp.route("/departments")
class Units(MethodView):
    @blp.arguments(UnitArgsSchema(), location="query")
    @blp.response(200, UnitSchema(many=True))
    @blp.alt_response(404, schema=ProblemSchema, description="no such unit (`under`)")
    def get(self, args):
        """Units by `parent`, `kind`, `region` (a region-code prefix) or `under` a unit,
        in tree order (names are public)."""
        return organisation.units(
            runtime(), args.get("parent"), args.get("kind"), args.get("region"), args.get("under")
        )

    @blp.arguments(UnitInSchema())
    @blp.response(201, UnitSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="not an admin")
    @blp.alt_response(409, schema=ProblemSchema, description="the key is taken")
    @blp.alt_response(422, schema=ProblemSchema, description="every problem of the unit")
    def post(self, body):
        """A new unit `{key, name: {zh, en?}, kind, parent, region_code}` (admins)."""
        return organisation.add_unit(runtime(), bearer_token(), body)


@blp.route("/departments/<key>")
class Unit(MethodView):
    @blp.response(200, UnitSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, key):
        return organisation.unit(runtime(), key)

    @blp.arguments(UnitChangeSchema())
    @blp.response(200, UnitSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="not an admin")
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="e.g. a move that makes a cycle")
    def patch(self, body, key):
        """Rename, move (`parent`; null: to the root), re-code, (de)activate (admins)."""
        return organisation.change_unit(runtime(), bearer_token(), key, body)


@blp.route("/routing/<table>")
class RoutingTable(MethodView):
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    def get(self, table):
        """A routing table's rows (staff)."""
        return organisation.table(runtime(), bearer_token(), table)

    @blp.arguments(RoutingTableSchema())
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="not an admin")
    @blp.alt_response(422, schema=ProblemSchema, description="every problem of the rows")
    def put(self, body, table):
        """Replace a routing table: rows `{category, region, department}` (admins)."""
        return organisation.put_table(runtime(), bearer_token(), table, body["rows"])


@blp.route("/routing/<table>/resolve")
class Resolve(MethodView):
    @blp.arguments(RoutingArgsSchema(), location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="no such table")
    def get(self, args, table):
        """The unit for a `category` in a `region`: the most specific row wins (longest
        region prefix, then longest category)."""
        return organisation.resolve(
            runtime(), bearer_token(), table, args["category"], args["region"]
        )
