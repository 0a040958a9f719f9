"""Who watches which channel now: ``WatcherBoard``.

* A person watches a channel while at least one of their streams covers it, by name or
  by pattern: a Jupyter user once however many tabs they have open, a viewer link once
  by its label. ``since`` is when the earliest of those streams opened.
* This server knows its own streams. The servers that share its broker hand theirs over
  as entries, one per server and space (``Broker.exchange_presence``): a JSON list of
  people, each with its patterns and the earliest ``since`` of each. Entries come back
  from Redis, so each is checked like any bytes read from there, and what fails is
  dropped and counted.
* What a viewer is told (``presence_json``) is computed from both, on demand: a person
  watching through two servers is one watcher. What was worked out for a channel is kept
  (``_Shown``) and brought up to date as people arrive, which is what a crowd opening a
  link does: every new stream's snapshot says who watches, and working that out from
  everyone each time made opening n streams cost n² steps (6,000 streams: minutes).
  Anything else that changes who watches (a stream closing, another server's entry)
  drops what was kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Final

from ...wire.errors import SSEValueError
from ...wire.events import Author, Watcher
from ...wire.json_text import dumps, loads
from ...wire.names import HUB_NAMESPACE, check_pattern, pattern_matches

PersonKey = tuple[str, str]  # (kind, name): who a watcher is, whatever the stream
MAX_NAME_CHARS: Final = 256  # of a name or display name read back from another server
MAX_URL_CHARS: Final = 2048  # of an avatar URL or a color read back
_WATCHER_KINDS: Final = frozenset({"user", "viewer"})
MAX_SHOWN: Final = 1024  # channels whose watchers are kept worked out, at most


def reaches_hub(pattern: str) -> bool:
    """True when ``pattern`` can cover a channel of the hub-wide namespace."""
    if pattern.endswith("*"):
        stem = pattern[:-1]
        return stem.startswith(HUB_NAMESPACE) or HUB_NAMESPACE.startswith(stem)
    return pattern.startswith(HUB_NAMESPACE)


class _Person:
    """One person's streams on this server, kept by pattern.

    A viewer link handed to a crowd is one person with 100,000 streams: every snapshot
    asks who watches, so the answer costs one step per distinct pattern, not per
    stream. The earliest ``since`` of a pattern is kept as streams open; when the
    stream that held it closes, it is worked out again at the next question (a crowd
    leaving asks once a second, not once per stream).
    """

    __slots__ = ("_by_pattern", "_earliest", "_stale", "author", "streams")

    def __init__(self, author: Author) -> None:
        self.author = author
        self.streams: dict[Hashable, tuple[tuple[str, ...], float]] = {}
        self._by_pattern: dict[str, dict[Hashable, float]] = {}  # pattern -> stream -> since
        self._earliest: dict[str, float] = {}  # pattern -> earliest since, unless stale
        self._stale: set[str] = set()

    def add(self, stream: Hashable, patterns: tuple[str, ...], since: float) -> None:
        self.streams[stream] = (patterns, since)
        for pattern in patterns:
            self._by_pattern.setdefault(pattern, {})[stream] = since
            if pattern not in self._stale:
                self._earliest[pattern] = min(since, self._earliest.get(pattern, since))

    def remove(self, stream: Hashable) -> None:
        patterns, since = self.streams.pop(stream)
        for pattern in patterns:
            streams = self._by_pattern[pattern]
            del streams[stream]
            if not streams:
                del self._by_pattern[pattern]
                self._earliest.pop(pattern, None)
                self._stale.discard(pattern)
            elif self._earliest.get(pattern) == since:
                self._stale.add(pattern)

    def since(self, pattern: str) -> float:
        """When the earliest of their streams reading ``pattern`` opened."""
        if pattern in self._stale:
            self._stale.discard(pattern)
            self._earliest[pattern] = min(self._by_pattern[pattern].values())
        return self._earliest[pattern]

    def patterns_list(self) -> list[str]:
        """The distinct patterns of their streams."""
        return list(self._by_pattern)

    def patterns(self) -> dict[str, float]:
        """Each pattern of their streams, with the earliest time a stream of it opened."""
        return {pattern: self.since(pattern) for pattern in self._by_pattern}


class _Remote:
    """A person as another server's entry lists them."""

    __slots__ = ("author", "patterns")

    def __init__(self, author: Author, patterns: dict[str, float]) -> None:
        self.author = author
        self.patterns = patterns


class _Shown:
    """A channel's watchers as last worked out: the first ``max_watchers`` in the order
    they are shown, and how many there are in all. (Not who they all are: a crowd on a
    pattern would be kept once per channel it covers.)"""

    __slots__ = ("count", "first")

    def __init__(self, watchers: list[Watcher], most: int) -> None:
        self.first = watchers[:most]
        self.count = len(watchers)


def _order(watcher: Watcher) -> tuple[float, str, str]:
    """Longest watching first; ties by kind and name, so every server orders alike."""
    return (watcher["since"], watcher["kind"], watcher["name"])


class WatcherBoard:
    """Who watches what: this server's streams and the other servers' entries.

    ``space_of`` says which presence space a channel is in (``Broker.presence_space``;
    the tracker sets it); ``max_watchers`` bounds the list a presence event carries.
    """

    def __init__(self, max_watchers: int) -> None:
        self.max_watchers = max_watchers
        self.space_of: Callable[[str], int] = lambda channel: 0
        self._people: dict[PersonKey, _Person] = {}
        self._streams: dict[Hashable, PersonKey] = {}
        self._remote: dict[int, dict[str, list[_Remote]]] = {}  # space -> server -> people
        # Everyone listed by another server, in any space: asked on every stream that
        # opens, so kept as a set when the entries are read rather than built per ask.
        self._remote_keys: frozenset[PersonKey] = frozenset()
        self._shown: dict[str, _Shown] = {}  # channel -> its watchers, kept up to date
        self._latest = -math.inf  # the latest `since` of a stream yet
        self.dropped = 0  # people (or whole entries) read back that failed the check

    # --- this server's streams ------------------------------------------------------

    def add(self, stream: Hashable, author: Author, patterns: Sequence[str], since: float) -> None:
        """``stream`` of ``author`` opened at ``since`` (epoch seconds), reading ``patterns``."""
        key = (author["kind"], author["name"])
        person = self._people.get(key)
        if person is None:
            person = self._people[key] = _Person(author)
        before = person.patterns_list() if self._shown else []
        if stream in person.streams:
            person.remove(stream)
            self._shown.clear()
        person.add(stream, tuple(patterns), since)
        self._streams[stream] = key
        if since < self._latest:
            self._shown.clear()  # not the newest stream (a clock that stepped back)
        elif self._shown:
            self._arrived(key, person, patterns, before, since)
        self._latest = max(self._latest, since)

    def _arrived(
        self,
        key: PersonKey,
        person: _Person,
        patterns: Sequence[str],
        before: Sequence[str],
        since: float,
    ) -> None:
        """Bring what is kept up to date with ``person``'s new stream (``patterns``),
        opened at ``since``, the latest time yet: whoever was shown keeps their place and
        time. ``before``: the patterns of their streams until now."""
        if key in self._remote_keys:
            self._shown.clear()  # they watch through another server too: work it out again
            return
        watcher = _watcher(person.author, since)
        stale = []
        for channel, shown in self._shown.items():
            if not any(pattern_matches(p, channel) for p in patterns) or any(
                pattern_matches(p, channel) for p in before
            ):
                continue  # not theirs, or they are counted already
            if shown.first and _order(watcher) < _order(shown.first[-1]):
                stale.append(channel)  # a tie with the last shown: its place is not the end
                continue
            if len(shown.first) < self.max_watchers:
                shown.first.append(watcher)
            shown.count += 1
        for channel in stale:
            del self._shown[channel]

    def remove(self, stream: Hashable) -> None:
        key = self._streams.pop(stream, None)
        if key is None:
            return
        self._shown.clear()  # someone's earliest stream may be the one leaving
        person = self._people[key]
        person.remove(stream)
        if not person.streams:
            del self._people[key]

    @property
    def local_people(self) -> int:
        """People with at least one stream on this server."""
        return len(self._people)

    def entry(self, space: int) -> str:
        """This server's entry for ``space`` as JSON; ``""`` when nobody is in it.

        Space 1 (the hub's) lists only the patterns that reach hub channels: the other
        tenants' servers read it, and need to know nothing else.
        """
        people = []
        for person in self._people.values():
            patterns = person.patterns()
            if space == 1:
                patterns = {p: s for p, s in patterns.items() if reaches_hub(p)}
            if patterns:
                people.append({**person.author, "patterns": patterns})
        return dumps(people) if people else ""

    # --- the other servers ----------------------------------------------------------

    def set_remote(self, space: int, entries: dict[str, str]) -> bool:
        """The other servers' entries of ``space`` as read; True when anyone changed."""
        parsed = {server: self._parse(text) for server, text in entries.items()}
        before = self._remote.get(space, {})
        self._remote[space] = {server: people for server, people in parsed.items() if people}
        self._remote_keys = frozenset(
            (r.author["kind"], r.author["name"])
            for servers in self._remote.values()
            for people in servers.values()
            for r in people
        )
        changed = _summary(before) != _summary(self._remote[space])
        if changed:
            self._shown.clear()
        return changed

    def clear_remote(self) -> bool:
        """Forget every other server (the broker has not answered for a ttl): True when
        anyone was listed."""
        had = any(self._remote.values())
        self._remote.clear()
        self._remote_keys = frozenset()
        self._shown.clear()
        return had

    def _parse(self, text: str) -> list[_Remote]:
        try:
            items = loads(text)
        except ValueError:
            self.dropped += 1
            return []
        if type(items) is not list:
            self.dropped += 1
            return []
        people = []
        for item in items:
            person = _checked(item)
            if person is None:
                self.dropped += 1
            else:
                people.append(person)
        return people

    # --- what viewers are told ------------------------------------------------------

    def watchers(self, channel: str) -> list[Watcher]:
        """Everyone watching ``channel`` now, longest watching first."""
        return sorted(self._found(channel).values(), key=_order)

    def _found(self, channel: str) -> dict[PersonKey, Watcher]:
        found: dict[PersonKey, Watcher] = {}
        for key, person in self._people.items():
            since = _earliest(
                person.since(p) for p in person.patterns_list() if pattern_matches(p, channel)
            )
            if since is not None:
                found[key] = _watcher(person.author, since)
        for people in self._remote.get(self.space_of(channel), {}).values():
            for remote in people:
                since = _earliest(
                    s for p, s in remote.patterns.items() if pattern_matches(p, channel)
                )
                if since is None:
                    continue
                key = (remote.author["kind"], remote.author["name"])
                known = found.get(key)
                if known is None or since < known["since"]:
                    found[key] = _watcher(remote.author, since)
        return found

    def _shown_of(self, channel: str) -> _Shown:
        shown = self._shown.get(channel)
        if shown is None:
            found = self._found(channel)
            shown = _Shown(sorted(found.values(), key=_order), self.max_watchers)
            if len(self._shown) >= MAX_SHOWN:
                del self._shown[next(iter(self._shown))]  # the one kept longest
            self._shown[channel] = shown
        return shown

    def presence_json(self, channel: str) -> str:
        """The ``presence`` data of ``channel`` (``events.Presence``) as JSON."""
        shown = self._shown_of(channel)
        return dumps({"watchers": shown.first, "count": shown.count})

    def count(self, channel: str) -> int:
        """How many people watch ``channel`` now, on every server."""
        return self._shown_of(channel).count


def _earliest(times: Iterable[float]) -> float | None:
    return min(times, default=None)


def _watcher(author: Author, since: float) -> Watcher:
    watcher: Watcher = {
        "name": author["name"],
        "display_name": author["display_name"],
        "kind": author["kind"],
        "since": round(since, 3),
    }
    if "avatar" in author:
        watcher["avatar"] = author["avatar"]
    if "color" in author:
        watcher["color"] = author["color"]
    return watcher


def _text(value: object, most: int, *, empty: bool = False) -> bool:
    return type(value) is str and (empty or value != "") and len(value) <= most


def _checked(item: Any) -> _Remote | None:
    """A person of another server's entry, if it has exactly the shape ``entry`` writes."""
    if type(item) is not dict:
        return None
    if not (
        _text(item.get("name"), MAX_NAME_CHARS)
        and _text(item.get("display_name"), MAX_NAME_CHARS, empty=True)
        and item.get("kind") in _WATCHER_KINDS
    ):
        return None
    for optional in ("avatar", "color"):
        if optional in item and not _text(item[optional], MAX_URL_CHARS):
            return None
    patterns = item.get("patterns")
    if type(patterns) is not dict or not patterns:
        return None
    for pattern, since in patterns.items():
        if not _is_pattern(pattern) or type(since) not in (int, float) or not math.isfinite(since):
            return None
    author: Author = {
        "name": item["name"],
        "display_name": item["display_name"],
        "kind": item["kind"],
    }
    for optional in ("avatar", "color"):
        if optional in item:
            author[optional] = item[optional]  # type: ignore[literal-required]
    return _Remote(author, {p: float(s) for p, s in patterns.items()})


def _is_pattern(pattern: str) -> bool:
    try:
        check_pattern(pattern)
    except SSEValueError:
        return False
    return True


def _summary(remote: dict[str, list[_Remote]]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        server: [(sorted(r.author.items()), sorted(r.patterns.items())) for r in people]
        for server, people in remote.items()
    }
