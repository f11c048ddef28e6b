"""Staff accounts: login and user management."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine import staff

from ..context import runtime, staff_unit, unit
from ..schemas import LoginSchema, ProblemSchema, TokenSchema, UserInSchema, UserSchema

blp = Blueprint("staff", __name__, url_prefix="/api", description="Staff login and accounts")


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema())
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ProblemSchema, description="wrong username or password")
    def post(self, body):
        """Log in; use the token as 'Authorization: Bearer <token>'."""
        with unit() as uow:
            token, expires_at = staff.login(uow, body["username"], body["password"],
                                            runtime().settings.token_ttl_hours)
            uow.commit()
            return {"token": token, "expires_at": expires_at}


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema)
    def get(self):
        """All staff accounts (admins)."""
        with staff_unit() as (uow, actor):
            return staff.list_users(uow, actor)

    @blp.arguments(UserInSchema())
    @blp.response(201, UserSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="not an admin")
    @blp.alt_response(409, schema=ProblemSchema, description="the username is taken")
    @blp.alt_response(422, schema=ProblemSchema)
    def post(self, body):
        """Create a staff account with departments and roles (admins)."""
        with staff_unit() as (uow, actor):
            user = staff.create_user(uow, actor, body["username"], body["password"],
                                     body.get("display_name", ""), body["departments"],
                                     body["roles"])
            uow.commit()
            return user


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    def get(self):
        """Who the token belongs to."""
        with staff_unit() as (uow, actor):
            return staff.user_named(uow, actor.username)
