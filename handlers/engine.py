"""The conversation core: one `Incoming` in, replies out, all in one unit of work.

Order of precedence for a message: commands (they work everywhere, `/batal` always leaves), then the current
flow's step, then registration for people we do not know yet, then a friendly "here is what you can do".

Two entries. `handle` answers with the replies (the console, the chat CLI, the dashboard's simulator: no sender
behind them). `answer` is for a channel that sends: the same work, and the replies are also recorded as outbox rows
in the same unit of work (services/outbox.py `record_answers`), so a crash between the commit and the send loses
no reply: the worker sends what a dead process left.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import interruptions, registration
from handlers.context import Context, MediaFetcher
from handlers.flow import ACTION_PREFIX, Enter, Finish, Flow, Goto, Outcome, Stay
from handlers.flows import hubungi
from handlers.i18n import _, use_locale
from handlers.menu import MENU_PREFIX, help_reply, menu_reply
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from handlers.payload import payload_of
from handlers.problems import describe
from handlers.state import enter, load_conversation, save_data
from services import inbound, outbox, people
from services.db import Database
from services.media import MediaStore
from services.models import ChannelIdentity, ConversationState, Person, Role, utcnow
from services.problems import ProblemError
from services.program import Program

log = logging.getLogger(__name__)


class AlreadyHandled(Exception):
    """The message's update id was claimed by an earlier delivery: roll this one's work back, answer nothing."""


INBOUND_PRECISION = timedelta(minutes=1)
LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}


@dataclass(frozen=True)
class Recording:
    """A channel's request that its answers be recorded with their work (the transactional outbox).

    `holder`: the process that will send them (outbox `claimed_by`); `grace`: how long the worker leaves them to it;
    `before`: replies the channel puts ahead of the conversation's own (a "these files were too large" notice),
    recorded with them, and only when there is an answer at all. `check`: False when the channel knows the chat
    has no earlier answer waiting (bot/channels/direct.py `Watch`): the order query is skipped."""

    holder: str
    grace: timedelta
    before: tuple[Reply, ...] = ()
    check: bool = True


@dataclass(frozen=True)
class Answer:
    """The replies, and where they were recorded: `rows` (one per reply, in order; empty when nothing could be
    recorded — the last-resort "sorry"), `direct` False when they wait behind an earlier answer not sent yet: the
    worker sends them, in order, and the caller must not."""

    replies: list[Reply]
    rows: tuple[int, ...] = ()
    direct: bool = True


class Engine:
    def __init__(
        self,
        db: Database,
        program: Program,
        pepper: bytes,
        media: MediaStore,
        flows: dict[str, Flow],
        clock: Callable[[], datetime] = utcnow,
        settings: dict | None = None,
    ) -> None:
        self.db = db
        # Runtime settings flows may read (Context.settings), e.g. "whatsapp_daily_limit" for /siaran.
        self.settings = settings or {}
        self.program = program
        self.pepper = pepper
        self.media = media
        self.flows = flows
        self.clock = clock

    def context(self, session: AsyncSession, incoming: Incoming, person: Person | None, fetch: MediaFetcher) -> Context:
        """The one way a Context is made (the engine's steps, a console showing the open question again)."""
        return Context(
            session, self.program, self.pepper, self.clock(), incoming, person, self.media, fetch, self.settings
        )

    async def handle(self, incoming: Incoming, fetch: MediaFetcher) -> list[Reply]:
        """Answer one message. Never raises: on a failure nothing is saved and the question is asked again.

        No replies at all for a message already handled (its `update_id` was claimed before).
        """
        return (await self.answer(incoming, fetch, None)).replies

    async def answer(self, incoming: Incoming, fetch: MediaFetcher, recording: Recording | None) -> Answer:
        """`handle`, and with a `recording` the replies become outbox rows in the same unit of work (see above)."""
        try:
            async with self.db.unit_of_work() as session:
                state, identity, person = await load_conversation(session, incoming.channel, incoming.user_id)
                ctx = self.context(session, incoming, person, fetch)
                # WhatsApp's 24-hour window runs on Meta's clock, never on a training session's simulated one.
                if identity is not None:
                    self._touch_identity(identity, utcnow())
                with use_locale(person.locale if person else state.locale):
                    replies = await self._dispatch(ctx, state)
                    replies = [Reply(r.text, r.choices, r.expect, state.version, r.attachments) for r in replies]
                if identity is None:
                    # Registered by this very message (DAFTAR / a code): they wrote to us, so their window is open.
                    identity, person = await people.identity_with_person(session, incoming.channel, incoming.user_id)
                    if identity is not None:
                        self._touch_identity(identity, utcnow())
                # Claimed last, with the work: on SQLite the claim is a write, and a write lock taken first would
                # be held through any download a step makes.
                if not await claimed(session, incoming):
                    raise AlreadyHandled
                return await record(session, incoming, person.id if person else None, replies, recording)
        except AlreadyHandled:
            return Answer([])  # a redelivery of a message already answered: its work here was rolled back
        except ProblemError as error:
            # A rule refused the change: everything in this unit of work is rolled back, state included.
            return await self._after_failure(incoming, fetch, recording, error)
        except Exception:
            log.exception(
                "update %s (%s from %s:%s) failed",
                incoming.update_id,
                incoming.kind,
                incoming.channel,
                incoming.user_id,
            )
            return await self._after_failure(incoming, fetch, recording)

    async def _after_failure(
        self,
        incoming: Incoming,
        fetch: MediaFetcher,
        recording: Recording | None,
        problem: ProblemError | None = None,
    ) -> Answer:
        try:
            async with self.db.unit_of_work() as session:
                # The failed work was rolled back with its claim: answering "sorry" is what handles it now.
                if not await claimed(session, incoming):
                    return Answer([])
                state, _identity, person = await load_conversation(session, incoming.channel, incoming.user_id)
                ctx = self.context(session, incoming, person, fetch)
                with use_locale(person.locale if person else state.locale):
                    if problem is not None:
                        sorry = Reply(describe(problem.problems[0]))
                    else:
                        sorry = Reply(_("Sorry, something went wrong and nothing was saved. Please try again."))
                    again = await self._ask_current(ctx, state)
                    replies = [self._stamp(r, state) for r in (sorry, *again)]
                return await record(session, incoming, person.id if person else None, replies, recording)
        except Exception:
            log.exception("could not even re-ask %s:%s", incoming.channel, incoming.user_id)
            with use_locale(None):
                # Nothing recorded (the database is the likely failure): sent directly, or handed over, as before.
                sorry = [Reply(_("Sorry, something went wrong. Please try again in a moment."))]
                return Answer([*(recording.before if recording else ()), *sorry])

    @staticmethod
    def _stamp(reply: Reply, state: ConversationState) -> Reply:
        return Reply(reply.text, reply.choices, reply.expect, state.version, reply.attachments)

    @staticmethod
    def _touch_identity(identity: ChannelIdentity, now: datetime) -> None:
        # Minute precision is plenty for WhatsApp's 24-hour window, and spares a write on most messages.
        if identity.last_inbound_at is None or now - identity.last_inbound_at > INBOUND_PRECISION:
            identity.last_inbound_at = now
        if identity.unreachable_at is not None:
            # They wrote to us, so they have unblocked the bot.
            identity.unreachable_at = None
            identity.unreachable_reason = None

    async def _dispatch(self, ctx: Context, state: ConversationState) -> list[Reply]:
        incoming = ctx.incoming
        if ctx.person is not None and not ctx.person.active:
            # Deactivated (someone else holds the seat now): the old role does nothing; a new code may be typed.
            enter(state, None, None)
            return await registration.inactive(ctx)
        if incoming.kind == Kind.COMMAND:
            return await self._command(ctx, state, incoming.command or "", incoming.args)
        if incoming.kind == Kind.CHOICE and (incoming.choice or "").startswith(ACTION_PREFIX):
            return await self._action(ctx, state, incoming.choice)
        if incoming.kind == Kind.CHOICE:
            if incoming.token is not None and incoming.token != state.version:
                old = Reply(_("That button belongs to an earlier question. Here is the current one:"))
                return [old, *await self._ask_current(ctx, state)]
            # A menu button, or a WhatsApp template's quick reply (no version: pressed any time later, it is the
            # command it names, like typing it, whatever question was left open).
            menu_press = state.flow is None or incoming.token is None
            if menu_press and (incoming.choice or "").startswith(MENU_PREFIX):
                return await self._command(ctx, state, incoming.choice[len(MENU_PREFIX) :], "")
        if interruptions.pending(state):
            return await interruptions.answer(ctx, state, self.flows, self._ask_current, self._command)
        if state.flow == "bahasa":
            return await self._choose_language(ctx, state)
        if state.flow is not None:
            return await self._continue_flow(ctx, state)
        if ctx.person is None:
            return await registration.unregistered(ctx, incoming.text)
        if incoming.kind == Kind.MEDIA:
            return [self._media_outside_a_flow(ctx), self._menu(ctx)]
        if incoming.kind == Kind.UNSUPPORTED:
            # A voice note, sticker, video or shared contact: say what the bot does read, then the menu. (Inside a
            # flow the step says what it wants instead; a stranger is asked for the code, which is what to send.)
            text = _(
                "The bot cannot read voice notes, stickers, videos or contacts. "
                "Please send text, a photo, a PDF or a location, or press a button below."
            )
            return [Reply(text), self._menu(ctx)]
        # Often a reply to a broadcast ("Baik pak, saya hadir"): offered to the pendamping instead of lost.
        offer = await hubungi.offer(ctx) if hubungi.NAME in self.flows else None
        if offer is not None:
            enter(state, hubungi.NAME, offer.step)
            save_data(state, offer.data)
            return [await self.flows[hubungi.NAME].steps[offer.step].ask(ctx, dict(offer.data))]
        return [Reply(_("I did not understand that.")), self._menu(ctx)]

    @staticmethod
    def _media_outside_a_flow(ctx: Context) -> Reply:
        # People send the photos first and say what they are for later: tell them the order, nothing is kept yet.
        if ctx.person.role == Role.KETUA_RT:
            return Reply(_("Photos and files are received inside a report: send /lapor first, then send them again."))
        if ctx.person.role == Role.BENDAHARA:
            return Reply(
                _("Proofs are received inside /dana (funds received) or /belanja (spending): start one, then send it.")
            )
        return Reply(_("Photos and files are not needed here."))

    async def _action(self, ctx: Context, state: ConversationState, choice: str) -> list[Reply]:
        """A notification's button: runs on its own, then the person's current question is asked again."""
        name, _sep, argument = choice[len(ACTION_PREFIX) :].partition(":")
        for flow in self.flows.values():
            if name in flow.actions:
                if ctx.person is None or ctx.person.role not in flow.roles:
                    return [Reply(_("This button is not for you.")), *await self._ask_current(ctx, state)]
                result = await flow.actions[name](ctx, argument)
                if isinstance(result, Enter):
                    enter(state, flow.name, result.step)
                    save_data(state, result.data)
                    return [*result.replies, await flow.steps[result.step].ask(ctx, dict(result.data))]
                if state.flow is not None:
                    return [*result, *await self._ask_current(ctx, state)]
                return result
        return [Reply(_("That button is no longer valid.")), *await self._ask_current(ctx, state)]

    async def _command(self, ctx: Context, state: ConversationState, command: str, args: str) -> list[Reply]:
        if state.flow is not None:
            # In the middle of a flow: answer and ask again, or ask before leaving it (see handlers/interruptions).
            kept = await interruptions.intercept(ctx, state, self.flows, self._ask_current, command, args)
            if kept is not None:
                return kept
        if command == "start":
            enter(state, None, None)
            return await registration.start(ctx, args)
        if command == "batal":
            had_flow = state.flow is not None
            draft = await interruptions.leave(ctx, state, self.flows)
            enter(state, None, None)
            text = _("Cancelled. Nothing was saved.") if had_flow else _("There was nothing to cancel.")
            text = draft or text
            return [Reply(text), self._menu(ctx)] if ctx.person else [Reply(text)]
        if command in ("menu", "bantuan"):
            enter(state, None, None)
            if ctx.person is None:
                return [registration.ask_code_reply()]
            return [help_reply(ctx.person.role)] if command == "bantuan" else [self._menu(ctx)]
        if command == "bahasa":
            enter(state, "bahasa", "choose")
            return [self._language_question()]
        flow = self.flows.get(command)
        if flow is None:
            return [Reply(_("Unknown command /{command}. Send /bantuan to see what you can do.", command=command))]
        if ctx.person is None:
            return [registration.ask_code_reply()]
        if ctx.person.role not in flow.roles:
            return [
                Reply(
                    _(
                        "/{command} is not available for your role. Send /bantuan to see what you can do.",
                        command=command,
                    )
                )
            ]
        enter(state, None, None)
        data: dict = {}
        outcome = await flow.start(ctx, data)
        return await self._apply(ctx, state, flow, data, outcome)

    async def _continue_flow(self, ctx: Context, state: ConversationState) -> list[Reply]:
        flow = self.flows.get(state.flow or "")
        step = flow.steps.get(state.step or "") if flow else None
        if flow is None or step is None:
            # A flow or step that no longer exists after an upgrade: start over politely.
            enter(state, None, None)
            return [Reply(_("That conversation has ended. Let's start again.")), self._menu(ctx)]
        if ctx.person is None or ctx.person.role not in flow.roles:
            enter(state, None, None)
            return [registration.ask_code_reply()] if ctx.person is None else [self._menu(ctx)]
        data = dict(state.data or {})
        outcome = await step.handle(ctx, data, ctx.incoming)
        return await self._apply(ctx, state, flow, data, outcome)

    async def _apply(
        self, ctx: Context, state: ConversationState, flow: Flow, data: dict, outcome: Outcome
    ) -> list[Reply]:
        if isinstance(outcome, Stay):
            # The step's writes, if any, are not kept: only the reason and the same question.
            ask = await flow.steps[state.step].ask(ctx, dict(state.data or {}))
            return [Reply(outcome.reason), ask]
        if isinstance(outcome, Finish):
            enter(state, None, None)
            return list(outcome.replies)
        assert isinstance(outcome, Goto)
        enter(state, flow.name, outcome.step)
        save_data(state, data)
        ask = await flow.steps[outcome.step].ask(ctx, data)
        return [*outcome.replies, ask]

    async def _ask_current(self, ctx: Context, state: ConversationState) -> list[Reply]:
        if interruptions.pending(state) and ctx.person is not None:
            return [interruptions.question(ctx, state, self.flows)]
        if state.flow == "bahasa":
            return [self._language_question()]
        flow = self.flows.get(state.flow or "")
        if flow and state.step in flow.steps and ctx.person is not None:
            return [await flow.steps[state.step].ask(ctx, dict(state.data or {}))]
        if ctx.person is None:
            return [registration.ask_code_reply()]
        return [self._menu(ctx)]

    @staticmethod
    def _menu(ctx: Context) -> Reply:
        return menu_reply(ctx.person.role)

    def _language_question(self) -> Reply:
        return Reply(
            _("Choose a language:"),
            tuple(Choice(f"lang:{code}", name) for code, name in LANGUAGES.items()),
            Expect.CHOICE,
        )

    async def _choose_language(self, ctx: Context, state: ConversationState) -> list[Reply]:
        incoming = ctx.incoming
        choice = (incoming.choice or "").removeprefix("lang:") if incoming.kind == Kind.CHOICE else ""
        if incoming.kind == Kind.TEXT:
            typed = incoming.text.strip().lower()
            choice = {"1": "id", "2": "en", "indonesia": "id", "english": "en", "inggris": "en"}.get(typed, typed)
        if choice not in LANGUAGES:
            return [Reply(_("Please choose one of the languages.")), self._language_question()]
        if ctx.person is not None:
            ctx.person.locale = choice
        state.locale = choice
        enter(state, None, None)
        with use_locale(choice):
            done = Reply(_("Language set to English.") if choice == "en" else _("Language set to Indonesian."))
            return [done, self._menu(ctx)] if ctx.person else [done, registration.ask_code_reply()]


async def record(
    session: AsyncSession,
    incoming: Incoming,
    person_id: int | None,
    replies: Sequence[Reply],
    recording: Recording | None,
) -> Answer:
    """The answer, recorded as outbox rows in the caller's unit of work when the channel asked for it."""
    if recording is None:
        return Answer(list(replies))
    replies = [*recording.before, *replies] if replies else []
    recorded = await outbox.record_answers(
        session,
        incoming.channel,
        incoming.user_id,
        [payload_of(reply) for reply in replies],
        person_id=person_id,
        holder=recording.holder,
        grace=recording.grace,
        check=recording.check,
    )
    return Answer(replies, recorded.ids, recorded.direct)


async def claimed(session: AsyncSession, incoming: Incoming) -> bool:
    """Claim the message's delivery id (or its album's items) in this unit of work; False when handled already."""
    if incoming.album_items:
        return await inbound.claim_album_items(session, incoming.channel, incoming.album_items)
    if incoming.update_id is None:
        return True  # the channel has no redeliveries to tell apart (console)
    return await inbound.claim_update(session, incoming.channel, incoming.update_id)
