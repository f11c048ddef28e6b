"""Staff accounts: login and user management."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.services import accounts

from ..context import bearer_token, runtime
from ..schemas import LoginSchema, ProblemSchema, TokenSchema, UserInSchema, UserSchema

blp = Blueprint("staff", __name__, url_prefix="/api", description="Staff login and accounts")


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema())
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ProblemSchema, description="wrong username or password")
    def post(self, body):
        """Log in; use the token as 'Authorization: Bearer <token>'."""
        return accounts.log_in(runtime(), body["username"], body["password"])


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema)
    def get(self):
        """All staff accounts (admins)."""
        return accounts.users(runtime(), bearer_token())

    @blp.arguments(UserInSchema())
    @blp.response(201, UserSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="not an admin")
    @blp.alt_response(409, schema=ProblemSchema, description="the username is taken")
    @blp.alt_response(422, schema=ProblemSchema)
    def post(self, body):
        """Create a staff account with departments and roles (admins)."""
        return accounts.add_user(
            runtime(),
            bearer_token(),
            body["username"],
            body["password"],
            body.get("display_name", ""),
            body["departments"],
            body["roles"],
        )


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    def get(self):
        """Who the token belongs to."""
        return accounts.me(runtime(), bearer_token())
