"""Server-facing ``party-agent`` commands: join, keys create|fetch|rotate|roster, policy
show|approve.

``party_agent.cli`` calls :func:`register` to add them to its Typer app. They read the
server URL, collaboration and token from the party home (written by ``join``) and talk
to the server only through :class:`party_agent.client.CleanRoomClient`.

Policy approval signs, with the party's Ed25519 key, exactly::

    b"cleanroom policy approval v1|" + collaboration_id + b"|" + policy_hash_hex
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from party_agent.cli_support import AsJson, CollaborationOption, HomeOption, reports_errors
from party_agent.errors import AgentError, ConfigError
from protocols import approval_message, b64url_encode, match_key_message

# httpx, cryptography and policies load inside the commands, not for ``--help``
# (tests/test_cli_startup.py).
if TYPE_CHECKING:
    from party_agent.client import CleanRoomClient, Json
    from party_agent.credentials import Credential
    from party_agent.home import PartyHome
    from party_agent.roster import Roster
    from party_agent.trust import TrustContext


def connect(home: PartyHome, collaboration: str | None = None) -> tuple[CleanRoomClient, str]:
    """A client for ``collaboration`` (default: the home's default) and its id.

    A home without credentials for it is a ConfigError; a token the server refuses
    (unknown or revoked) ends in what to ask the admin for and how to store a new one.
    """
    from party_agent.client import CleanRoomClient

    chosen = collaboration or home.collaboration
    found = home.credential(chosen) if chosen else None
    if chosen is None or found is None:
        raise ConfigError(home.not_joined(chosen))
    return CleanRoomClient(found.server, found.token, auth_hint=token_hint(chosen, found)), chosen


def token_hint(collaboration: str, found: Credential) -> str:
    """What a member whose token stopped working asks for, and how it stores the new one."""
    member = found.member_id or "MEMBER_ID"
    return (
        f"ask the server admin for a new token ('cleanroom admin issue-token "
        f"--collaboration {collaboration} --member {member}'), then store it with "
        f"'party-agent credentials set --collaboration {collaboration} --token TOKEN'"
    )


def join(
    home: HomeOption,
    server: Annotated[str, typer.Option("--server", help="Clean-room server URL.")],
    token: Annotated[str, typer.Option("--token", help="API token from the server admin.")],
    make_default: Annotated[
        bool,
        typer.Option("--default", help="Make this the home's default collaboration."),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Join a collaboration: check the token, register this party's public keys, save both.

    A home holds one credential per collaboration: joining another keeps the others (the
    first one joined stays the default unless --default); joining the same one again
    stores its new token.

    Example: party-agent join --home brand/home --server https://cleanroom.example --token crt_...
    """
    from party_agent.client import CleanRoomClient
    from party_agent.credentials import Credential
    from party_agent.home import PartyHome
    from protocols import encode_public_key

    party = PartyHome.open(home)
    with CleanRoomClient(server, token) as client:
        me = client.me()
        collaboration = me.get("collaboration_id")
        if not collaboration:
            raise ConfigError("this token belongs to a server admin, not to a party member")
        client.register_keys(
            collaboration,
            encode_public_key(party.x25519_public_key()),
            encode_public_key(party.ed25519_public_key()),
        )
    credential = Credential(server, token, me.get("member_id"), me.get("party"), me.get("role"))
    is_default = party.store_credential(collaboration, credential, make_default=make_default)
    fingerprints = {"x25519": party.x25519_fingerprint, "ed25519": party.ed25519_fingerprint}
    if not is_default:
        typer.echo(
            f"the home's default stays {party.collaboration}; pass --collaboration "
            f"{collaboration} (or 'party-agent credentials default {collaboration}')",
            err=True,
        )
    if as_json:
        typer.echo(json.dumps({**_member(me), "default": is_default, **fingerprints}, indent=2))
        return
    typer.echo(f"joined collaboration {collaboration} as {me['party']} ({me['role']})")
    if me["party"] != party.party:
        typer.echo(f"note: the server knows this party as {me['party']!r}", err=True)
    typer.echo(f"x25519 fingerprint:  {fingerprints['x25519']}")
    typer.echo(f"ed25519 fingerprint: {fingerprints['ed25519']}")


def _member(me: Json) -> Json:
    """The parts of ``/v1/me`` a result may show (never a token)."""
    keys = ("collaboration_id", "member_id", "party", "role", "token_id")
    return {key: me.get(key) for key in keys}


AcceptOption = Annotated[
    list[str] | None,
    typer.Option(
        "--accept-fingerprint",
        help="Accept another member's key with this fingerprint (compared out of band); "
        "repeatable.",
    ),
]


def trust_context(
    party: PartyHome, collaboration: str, reply: Json, accept: list[str] | None
) -> TrustContext:
    """Whose keys this run trusts; only an *effective* policy's pins count."""
    from party_agent.known_keys import KnownKeys
    from party_agent.trust import TrustContext, verified_policy

    pinned = verified_policy(reply) if reply.get("effective") else None
    own = (party.x25519_fingerprint, party.ed25519_fingerprint)
    return TrustContext(KnownKeys(party, collaboration), own, pinned, list(accept or []))


def keys_create(
    home: HomeOption,
    new: Annotated[bool, typer.Option("--new", help="Generate a fresh key (rotate).")] = False,
    accept: AcceptOption = None,
    collaboration_id: CollaborationOption = None,
    as_json: AsJson = False,
) -> None:
    """Wrap the match key to every party_admin that has joined (creating it if needed).

    Only to keys this home trusts: its own, keys pinned in the effective policy, and keys
    accepted with ``--accept-fingerprint``; a first-seen or changed key stops it.

    Example: party-agent keys create --home brand/home --accept-fingerprint '25c2 a641 ...'
    """
    from party_agent.home import PartyHome
    from party_agent.trust import accepted_recipients, require_trusted, verified_policy
    from protocols import MatchKey, decode_x25519_public_key, key_checks, wrap_match_key

    party = PartyHome.open(home)
    client, collaboration = connect(party, collaboration_id)
    with client:
        members = client.members(collaboration)
        reply = _governing_policy(client, collaboration)
        policy = verified_policy(reply)
        recipients, refused = accepted_recipients(policy, members)
        waiting = [
            m["party"] for m in members if m["role"] == "party_admin" and not m["x25519_public"]
        ]
        if refused:
            typer.echo(f"not wrapped to: {'; '.join(refused)}", err=True)
        if not recipients:
            raise AgentError("no party_admin has a key the policy accepts; nothing was wrapped")
        trust = trust_context(party, collaboration, reply, accept)
        sightings = [trust.see(m, "x25519", m["x25519_fingerprint"]) for m in recipients]
        require_trusted(sightings, "nothing was wrapped")
        outcome = "nothing was wrapped"
        roster = signed_roster(party, client, collaboration, reply, members, outcome)
        if roster is not None:
            for member in recipients:
                roster.require_x25519(member, member["x25519_fingerprint"], "nothing was wrapped")
        reuse = party.has_match_key(collaboration) and not new
        key = party.match_key(collaboration) if reuse else MatchKey.generate()
        wrapped = {
            m["id"]: wrap_match_key(
                key, decode_x25519_public_key(m["x25519_public"]), collaboration
            )
            for m in recipients
        }
        message = match_key_message(collaboration, key.fingerprint)
        signed = b64url_encode(party.ed25519_private_key().sign(message))
        checks = key_checks(key, collaboration)
        posted = client.post_match_key(collaboration, wrapped, key.fingerprint, signed, checks)
    party.store_match_key(collaboration, key)
    trust.known.save()
    if as_json:
        wrapped_to = [
            {"party": m["party"], "x25519_fingerprint": m["x25519_fingerprint"]} for m in recipients
        ]
        shown = {"generation": posted["generation"], "fingerprint": key.fingerprint}
        shown |= {"wrapped_to": wrapped_to, "not_wrapped": refused, "not_joined": waiting}
        typer.echo(json.dumps(shown, indent=2))
        return
    typer.echo(f"match key generation {posted['generation']}, fingerprint {key.fingerprint}")
    for member in recipients:
        typer.echo(f"  wrapped to {member['party']:<20} x25519 {member['x25519_fingerprint']}")
    if waiting:
        typer.echo(
            f"not joined yet (run 'keys create' again later): {', '.join(waiting)}", err=True
        )


def signed_roster(
    party: PartyHome,
    client: CleanRoomClient,
    collaboration: str,
    reply: Json,
    members: list[Json],
    outcome: str,
) -> Roster | None:
    """The key roster, verified here and signed by every party it lists (else an error
    ending in ``outcome``), when one is required: the *effective* policy (``reply``) pins
    keys on registration, or this home signed a roster of this collaboration before (so
    an operator cannot lift the requirement by deleting the roster or suspending the
    policy). ``None`` when none is required: only ``known_keys.json`` then decides."""
    from party_agent.client import ServerError
    from party_agent.roster import signed_version, verified_roster
    from party_agent.trust import UntrustedReply, verified_policy
    from policies import KeyPinning

    before = signed_version(party, collaboration)
    pinning = bool(reply.get("effective")) and (
        verified_policy(reply).pin_keys is KeyPinning.ON_REGISTRATION
    )
    if not pinning and before is None:
        return None
    try:
        found = client.roster(collaboration)
    except ServerError as error:
        if error.status != 404:
            raise
        raise UntrustedReply(
            "the effective policy pins keys on registration (or this home signed a key "
            f"roster before) and the server shows no key roster; {outcome}"
        ) from None
    roster = verified_roster(found, members, collaboration)
    if before is not None and roster.version < before:
        raise UntrustedReply(
            f"the server shows key roster v{roster.version}, older than v{before} this home "
            f"signed; {outcome}"
        )
    roster.require_signed(outcome)
    return roster


def keys_roster(
    home: HomeOption,
    accept: AcceptOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Sign without asking.")] = False,
) -> None:
    """Check the collaboration's key roster (pin_keys: on_registration) and sign it.

    Signs only when this party's own entry is its own keys exactly and every other key is
    one this home trusts (accepted before, or with ``--accept-fingerprint``). Match keys
    are then wrapped and accepted only within a roster every listed party signed.

    Example: party-agent keys roster --home brand-home --accept-fingerprint '3f2a ...'
    """
    from party_agent.home import PartyHome
    from party_agent.roster import record_signed, verified_roster
    from party_agent.trust import require_trusted

    party = PartyHome.open(home)
    client, collaboration = connect(party)
    with client:
        members = client.members(collaboration)
        roster = verified_roster(client.roster(collaboration), members, collaboration)
        reply = _governing_policy(client, collaboration)
        trust = trust_context(party, collaboration, reply, accept)
        own = (party.x25519_fingerprint, party.ed25519_fingerprint)
        mine = [
            e for e in roster.entries if own[0] in (e.x25519_fingerprint, e.ed25519_fingerprint)
        ]
        if len(mine) != 1 or (mine[0].x25519_fingerprint, mine[0].ed25519_fingerprint) != own:
            raise AgentError(
                f"REFUSED: key roster v{roster.version} does not hold this party's own keys "
                "exactly; not signed"
            )
        sightings = []
        for entry in roster.entries:
            member = roster.members[entry.member_id]
            sightings.append(trust.see(member, "x25519", entry.x25519_fingerprint))
            sightings.append(trust.see(member, "ed25519", entry.ed25519_fingerprint))
        require_trusted(sightings, "the roster was not signed")
        _print_roster(roster)
        if not yes and not typer.confirm(f"sign key roster v{roster.version}?"):
            raise AgentError("not signed")
        signature = b64url_encode(party.ed25519_private_key().sign(roster.message))
        result = client.sign_roster(collaboration, roster.version, signature)
    trust.known.save()
    record_signed(party, collaboration, roster.version)
    waiting = result["unsigned"]
    state = "signed by every party" if not waiting else "waiting for " + ", ".join(waiting)
    typer.echo(f"signed key roster v{roster.version}: {state}")


def _print_roster(roster: Roster) -> None:
    typer.echo(f"key roster v{roster.version} sha256 {roster.digest}")
    for e in roster.entries:
        typer.echo(
            f"  {e.party:<20} x25519 {e.x25519_fingerprint}  ed25519 {e.ed25519_fingerprint}"
        )


def _governing_policy(client: CleanRoomClient, collaboration: str) -> Json:
    """The effective policy, or the latest proposal while none is effective yet."""
    from party_agent.client import ServerError

    try:
        return client.policy(collaboration, "current")
    except ServerError as error:
        if error.status != 404:
            raise
        return client.policy(collaboration, "latest")


def keys_fetch(
    home: HomeOption,
    force: Annotated[bool, typer.Option(help="Replace a different local key.")] = False,
    accept: AcceptOption = None,
    collaboration_id: CollaborationOption = None,
    as_json: AsJson = False,
) -> None:
    """Fetch this party's wrapped copy of the match key and store it in the home.

    The creator's signing key must be trusted like a recipient's in ``keys create``.

    Example: party-agent keys fetch --home retailer/home --accept-fingerprint '00fc b3d7 ...'
    """
    from party_agent.home import PartyHome
    from party_agent.trust import require_trusted, verified_creator, verified_policy
    from protocols import KeyUnwrapError, ProtocolError, key_checks, unwrap_match_key

    party = PartyHome.open(home)
    client, collaboration = connect(party, collaboration_id)
    with client:
        mine = client.my_match_key(collaboration)
        members = client.members(collaboration)
        reply = _governing_policy(client, collaboration)
        policy = verified_policy(reply)
        outcome = "the key was not stored"
        roster = signed_roster(party, client, collaboration, reply, members, outcome)
    try:
        key = unwrap_match_key(mine["wrapped"], party.x25519_private_key(), collaboration)
    except (KeyUnwrapError, ProtocolError) as error:
        raise AgentError(f"cannot open the wrapped match key: {error}") from None
    creator = verified_creator(policy, members, mine, key, collaboration)
    if roster is not None:
        roster.require_ed25519(creator, creator["ed25519_fingerprint"], "the key was not stored")
    if mine.get("key_checks") != key_checks(key, collaboration):
        raise AgentError(
            "the key check values the server holds do not belong to this match key; "
            "the server would refuse every token file, so the key was not stored"
        )
    trust = trust_context(party, collaboration, reply, accept)
    sighting = trust.see(creator, "ed25519", creator["ed25519_fingerprint"])
    require_trusted([sighting], "the match key was not stored")
    if party.has_match_key(collaboration) and party.match_key(collaboration) != key and not force:
        raise ConfigError("the home holds a different match key; pass --force to replace it")
    party.store_match_key(collaboration, key)
    trust.known.save()
    if as_json:
        creator_public = {k: creator[k] for k in ("party", "ed25519_fingerprint")}
        reply = {"generation": mine["generation"], "fingerprint": key.fingerprint}
        typer.echo(json.dumps({**reply, "created_by": creator_public}, indent=2))
        return
    typer.echo(f"match key generation {mine['generation']}, fingerprint {key.fingerprint}")
    typer.echo(f"  created by {creator['party']}, ed25519 {creator['ed25519_fingerprint']}")


def describe_policy(text: str) -> list[str]:
    """The policy in words (``policies.describe_lines``); the YAML itself if it is invalid."""
    from policies import InvalidPolicy, describe_lines, policy_from_yaml

    try:
        return describe_lines(policy_from_yaml(text))
    except InvalidPolicy:
        return text.rstrip().splitlines()


def print_policy(policy: Json) -> None:
    state = "EFFECTIVE" if policy["effective"] else "not effective yet"
    typer.echo(f"policy #{policy['seq']} sha256 {policy['policy_hash']} ({state})")
    for line in describe_policy(policy["text"]):
        typer.echo(f"  {line}")
    for approval in policy["approvals"]:
        typer.echo(f"approved by {approval['party']} at {approval['created_at']}")
    if policy["missing_approvals"]:
        typer.echo(f"waiting for: {', '.join(policy['missing_approvals'])}")


Which = Annotated[str, typer.Option("--hash", help="A policy hash, 'latest' or 'current'.")]


def policy_show(
    home: HomeOption,
    which: Which = "latest",
    collaboration_id: CollaborationOption = None,
    as_json: AsJson = False,
) -> None:
    """Show a policy version in words, its hash and who approved it.

    Example: party-agent policy show --home retailer/home --hash current
    """
    from party_agent.home import PartyHome

    client, collaboration = connect(PartyHome.open(home), collaboration_id)
    with client:
        policy = client.policy(collaboration, which)
    if as_json:
        typer.echo(json.dumps(policy, indent=2, sort_keys=True))
        return
    print_policy(policy)


def policy_approve(
    home: HomeOption,
    which: Which = "latest",
    yes: Annotated[bool, typer.Option("--yes", help="Sign without asking.")] = False,
    collaboration_id: CollaborationOption = None,
    as_json: AsJson = False,
) -> None:
    """Sign a policy version's hash with this party's Ed25519 key after confirmation.

    The hash is recomputed from the policy text first: the agent never signs a hash it
    did not derive from the text it showed.

    Example: party-agent policy approve --home retailer/home --yes
    """
    from party_agent.home import PartyHome
    from party_agent.trust import verified_policy

    party = PartyHome.open(home)
    client, collaboration = connect(party, collaboration_id)
    with client:
        policy = client.policy(collaboration, which)
        verified_policy(policy)
        if not as_json:
            print_policy(policy)
        if not yes and not typer.confirm(f"approve policy {policy['policy_hash']}?"):
            raise AgentError("not approved")
        message = approval_message(collaboration, policy["policy_hash"])
        signature = b64url_encode(party.ed25519_private_key().sign(message))
        result = client.approve_policy(collaboration, policy["policy_hash"], signature)
    if as_json:
        typer.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    state = (
        "effective"
        if result["effective"]
        else "waiting for " + ", ".join(result["missing_approvals"])
    )
    typer.echo(f"approved {result['policy_hash']}: {state}")


def keys_rotate(
    home: HomeOption, collaboration_id: CollaborationOption = None, as_json: AsJson = False
) -> None:
    """Replace this party's X25519 and Ed25519 keys, signed with its previous Ed25519 key.

    The server accepts the new keys only with that signature. Other members' agents then
    see a changed key and refuse it until they accept the new fingerprints printed here
    (`--accept-fingerprint`), compared with you out of band.

    Example: party-agent keys rotate --home brand-home
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from party_agent.home import PartyHome
    from protocols import (
        b64url_encode,
        encode_public_key,
        key_rotation_message,
        public_key_fingerprint,
    )

    party = PartyHome.open(home)
    client, collaboration = connect(party, collaboration_id)
    x25519, ed25519 = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    x_text, ed_text = (encode_public_key(k.public_key()) for k in (x25519, ed25519))
    with client:
        member = client.me().get("member_id")
        if not member:
            raise ConfigError("this home's token belongs to a server admin, not to a member")
        message = key_rotation_message(collaboration, str(member), x_text, ed_text)
        signature = b64url_encode(party.ed25519_private_key().sign(message))
        party.replace_keys(
            x25519,
            ed25519,
            lambda: client.register_keys(collaboration, x_text, ed_text, signature),
        )
    new_x, new_ed = (public_key_fingerprint(k.public_key()) for k in (x25519, ed25519))
    if as_json:
        reply = {"collaboration_id": collaboration, "x25519": new_x, "ed25519": new_ed}
        typer.echo(json.dumps(reply, indent=2))
        return
    typer.echo(f"rotated this party's keys in collaboration {collaboration}")
    typer.echo(f"x25519 fingerprint:  {new_x}")
    typer.echo(f"ed25519 fingerprint: {new_ed}")


def register(app: typer.Typer) -> None:
    """Add the server-facing commands to the agent's Typer app."""
    app.command("join")(reports_errors(join))
    keys_app = typer.Typer(
        help="Create, wrap and fetch the collaboration's match key; rotate this party's keys."
    )
    keys_app.command("create")(reports_errors(keys_create))
    keys_app.command("fetch")(reports_errors(keys_fetch))
    keys_app.command("rotate")(reports_errors(keys_rotate))
    keys_app.command("roster")(reports_errors(keys_roster))
    app.add_typer(keys_app, name="keys")
    policy_app = typer.Typer(help="Show and approve the collaboration's policy.")
    policy_app.command("show")(reports_errors(policy_show))
    policy_app.command("approve")(reports_errors(policy_approve))
    app.add_typer(policy_app, name="policy")
