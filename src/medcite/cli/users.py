"""``medcite users add|list|role|token``: local accounts, from the server's shell.

Whoever runs these commands acts as the operator (an admin): each change is written to the
audit trail under the actor ``operator``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from medcite.cli import HomeOption, JsonOption, _settings, app
from medcite.cli.console import console, err_console, print_json, reports_errors
from medcite.review.accounts import add_user, issue_token, list_users, set_role
from medcite.store import Store
from medcite.types import Role, dump

users_app = typer.Typer(
    help="Accounts: add, list, change role, issue API tokens.", no_args_is_help=True
)
app.add_typer(users_app, name="users")

NameOption = Annotated[
    str | None, typer.Option("--name", help="Full name (shown on pages a reviewer approves).")
]
CredentialsOption = Annotated[
    str | None, typer.Option("--credentials", help="Qualifications, e.g. 'MD, FRCP'.")
]
SpecialtyOption = Annotated[
    str | None, typer.Option("--specialty", help="Clinical specialty, e.g. 'Neurology'.")
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True,
                            err=True))


@users_app.command("add")
@reports_errors
def users_add(
    username: Annotated[str, typer.Argument(help="Login name: a-z, 0-9 and . _ @ -")],
    role: Annotated[Role, typer.Option("--role", help="What the account may do.")],
    name: NameOption = None,
    credentials: CredentialsOption = None,
    specialty: SpecialtyOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Add an account; the password is prompted for (or read with --password-stdin)."""
    settings = _settings(home)
    store = Store.open(settings)
    password = _read_password(password_stdin)
    user = add_user(store, settings, username=username, password=password, role=role,
                    name=name, credentials=credentials, specialty=specialty)
    console.print(f"added [bold]{escape(user.username)}[/] ({user.role.value})")


@users_app.command("list")
@reports_errors
def users_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List accounts with their roles and reviewer profiles."""
    users = list_users(Store.open(_settings(home)))
    if as_json:
        print_json([dump(u) for u in users])
        return
    table = Table("username", "role", "name", "credentials", "specialty", "active")
    for user in users:
        table.add_row(*(escape(v or "") for v in (
            user.username, user.role.value, user.name, user.credentials, user.specialty,
        )), "yes" if user.active else "no")
    console.print(table)


@users_app.command("role")
@reports_errors
def users_role(
    username: Annotated[str, typer.Argument(help="The account.")],
    role: Annotated[Role, typer.Argument(help="Its new role.")],
    name: NameOption = None,
    credentials: CredentialsOption = None,
    specialty: SpecialtyOption = None,
    home: HomeOption = None,
) -> None:
    """Change an account's role (a reviewer needs a name and credentials)."""
    user = set_role(Store.open(_settings(home)), username, role, name=name,
                    credentials=credentials, specialty=specialty)
    console.print(f"[bold]{escape(user.username)}[/] is now {user.role.value}")


@users_app.command("token")
@reports_errors
def users_token(
    username: Annotated[str, typer.Argument(help="The account the token signs in as.")],
    home: HomeOption = None,
) -> None:
    """Print a new API token for an account. It is shown once: only its hash is kept."""
    issued = issue_token(Store.open(_settings(home)), username)
    typer.echo(issued.token)
    err_console.print("[dim]shown once: store it now (only its hash is kept)[/]")
