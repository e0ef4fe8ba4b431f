"""Every change to tags: on a ticket (agents), on many tickets (the queue's bulk actions) and
to the tenant's vocabulary (admins: rename, merge, delete).

A tag put on or taken off a ticket is a ``TicketEvent`` on that ticket's timeline (its name in
``after`` or ``before``). The vocabulary's changes are settings: each writes one line of the
audit log, not an event on every ticket it touches (a merge over ten thousand tickets is one
decision, and the tickets' tags read the same before and after apart from the name).

A closed ticket's tags do not change from its page or the API (closed tickets never change);
renaming, merging or deleting a tag still reaches them, since the tag itself changes.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from tenants import audit
from tenants.models import Membership
from tickets import lifecycle, queue, tags
from tickets.models import SavedView, Tag, TagEvent, Ticket, TicketTag

Status = Ticket.Status


def _require_staff(membership: Membership) -> None:
    if membership is None or not membership.is_staff_role:
        raise NotAllowed("Only agents tag tickets.")


def _require_admin(membership: Membership) -> None:
    if membership is None or membership.role != Membership.Role.ADMIN:
        raise NotAllowed("Only the helpdesk's admins manage tags.")


def _tags_named(names: list[str]) -> list[Tag]:
    """The tags of these cleaned names, made on first use. Two agents typing a new name at
    once both end with the one tag: the loser of the insert reads the winner's row."""
    wanted = {tags.key_of(name): name for name in names}
    found = {tag.key: tag for tag in Tag.objects.filter(key__in=list(wanted))}
    for key, name in wanted.items():
        if key in found:
            continue
        try:
            with transaction.atomic():
                found[key] = Tag.objects.create(name=name, key=key)
        except IntegrityError:
            found[key] = Tag.objects.get(key=key)
    return [found[key] for key in wanted]


def _lock_open(ticket: Ticket) -> Ticket:
    # Two agents tagging one ticket must not both pass the per-ticket limit.
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status == Status.CLOSED:
        raise lifecycle.InvalidTransition(f"Ticket #{locked.number} is closed; its tags stay.")
    return locked


def _add(ticket: Ticket, found: list[Tag], actor) -> list[Tag]:
    """Put ``found`` on the locked ticket; the tags it did not have yet, each with its event."""
    have = set(TicketTag.objects.filter(ticket=ticket).values_list("tag_id", flat=True))
    new = [tag for tag in found if tag.pk not in have]
    if not new:
        return []
    if len(have) + len(new) > tags.MAX_PER_TICKET:
        raise InvalidInput(f"A ticket carries at most {tags.MAX_PER_TICKET} tags.")
    # bulk_create skips save(), which stamps the tenant: the ticket's is the current one.
    TicketTag.objects.bulk_create(
        [
            TicketTag(tenant_id=ticket.tenant_id, ticket=ticket, tag=tag, added_by=actor)
            for tag in new
        ]
    )
    for tag in new:
        lifecycle.record(ticket, TagEvent.ADDED, actor=actor, after=tag.name)
    return new


def _remove(ticket: Ticket, keys: list[str], actor) -> list[Tag]:
    links = list(TicketTag.objects.filter(ticket=ticket, tag__key__in=keys).select_related("tag"))
    if not links:
        return []
    TicketTag.objects.filter(pk__in=[link.pk for link in links]).delete()
    for link in links:
        lifecycle.record(ticket, TagEvent.REMOVED, actor=actor, before=link.tag.name)
    return [link.tag for link in links]


@transaction.atomic
def ticket_tags_add(*, ticket: Ticket, actor, membership: Membership, names: list) -> list[Tag]:
    """Tag the ticket (names as typed; new names become tags). Returns the tags it gained."""
    _require_staff(membership)
    cleaned = tags.clean_names(names)
    ticket = _lock_open(ticket)
    added = _add(ticket, _tags_named(cleaned), actor)
    if added:
        ticket.save(update_fields=["updated_at"])
    return added


@transaction.atomic
def ticket_tags_remove(*, ticket: Ticket, actor, membership: Membership, names: list) -> list[Tag]:
    """Take tags off the ticket (names it does not carry are ignored). Returns those removed."""
    _require_staff(membership)
    keys = [tags.key_of(name) for name in tags.clean_names(names)]
    ticket = _lock_open(ticket)
    removed = _remove(ticket, keys, actor)
    if removed:
        ticket.save(update_fields=["updated_at"])
    return removed


@transaction.atomic
def ticket_tags_set(*, ticket: Ticket, actor, membership: Membership, names: list) -> list[Tag]:
    """Make the ticket's tags exactly ``names`` (an empty list removes all). Returns them."""
    _require_staff(membership)
    cleaned = tags.clean_names(names, limit=tags.MAX_PER_TICKET) if names else []
    ticket = _lock_open(ticket)
    keys = {tags.key_of(name) for name in cleaned}
    current = set(TicketTag.objects.filter(ticket=ticket).values_list("tag__key", flat=True))
    removed = _remove(ticket, sorted(current - keys), actor)
    added = _add(ticket, _tags_named([n for n in cleaned if tags.key_of(n) not in current]), actor)
    if added or removed:
        ticket.save(update_fields=["updated_at"])
    return tags.for_ticket(ticket)


BULK_ADD, BULK_REMOVE = "tag_add", "tag_remove"


def tickets_bulk_tag(
    *, actor, membership: Membership, numbers: list[int], operation: str, name: str
) -> dict:
    """Add or remove one tag on many tickets, each in its own transaction (as the other bulk
    actions): {"updated": [numbers], "unchanged": [...], "refused": [(number, reason)]}."""
    _require_staff(membership)
    if operation not in (BULK_ADD, BULK_REMOVE):
        raise InvalidInput("Choose to add or remove a tag.")
    (cleaned,) = tags.clean_names([name], limit=1)
    result = {"updated": [], "unchanged": [], "refused": []}
    if operation == BULK_ADD:
        (tag,) = _tags_named([cleaned])
    else:
        tag = tags.find(cleaned)
        if tag is None:
            raise InvalidInput(f"There is no tag “{cleaned}”.")
    for ticket in Ticket.objects.filter(number__in=numbers).order_by("number"):
        try:
            with transaction.atomic():
                locked = _lock_open(ticket)
                if operation == BULK_ADD:
                    changed = bool(_add(locked, [tag], actor))
                else:
                    changed = bool(_remove(locked, [tag.key], actor))
                if changed:
                    locked.save(update_fields=["updated_at"])
        except DomainError as error:
            result["refused"].append((ticket.number, str(error)))
        else:
            result["updated" if changed else "unchanged"].append(ticket.number)
    return result


# --- The vocabulary (admins) ----------------------------------------------------------------


def _retag_saved_views(old_key: str, new_name: str | None) -> None:
    """Saved views that filter by a renamed or merged tag follow it to its new name; a deleted
    tag leaves their filters. A tenant has few views: read them all."""
    for view in SavedView.objects.filter(query__contains="tag="):
        filters = queue.view_filters(view.query)
        if not filters or not filters.get("tag"):
            continue
        names = [n for n in filters["tag"] if tags.key_of(n) != old_key]
        if len(names) == len(filters["tag"]):
            continue
        if new_name is not None and tags.key_of(new_name) not in map(tags.key_of, names):
            names.append(new_name)
        filters["tag"] = names
        view.query = queue.filter_query(filters)
        view.save(update_fields=["query", "updated_at"])


def _lock_tag(tag: Tag) -> Tag:
    try:
        return Tag.objects.select_for_update().get(pk=tag.pk)
    except Tag.DoesNotExist:
        raise Conflict("That tag was deleted meanwhile.") from None


@transaction.atomic
def tag_rename(*, tag: Tag, name: str, membership: Membership) -> Tag:
    """Give the tag a new name (its tickets keep it). A name another tag already has is
    refused: merging is the way to make two tags one."""
    _require_admin(membership)
    cleaned = tags.clean_name(name)
    tag = _lock_tag(tag)
    key = tags.key_of(cleaned)
    if cleaned == tag.name:
        return tag
    if key != tag.key and Tag.objects.filter(key=key).exists():
        raise InvalidInput(f"A tag named “{cleaned}” exists already: merge into it instead.")
    old_name, old_key = tag.name, tag.key
    tag.name, tag.key = cleaned, key
    tag.save(update_fields=["name", "key", "updated_at"])
    _retag_saved_views(old_key, cleaned)
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Tag renamed: {old_name} → {cleaned}",
        detail={"tag": tag.pk, "from": old_name, "to": cleaned},
    )
    return tag


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag, membership: Membership) -> int:
    """Make ``source`` part of ``target``: every ticket with ``source`` carries ``target``
    once, and ``source`` is deleted. Returns how many tickets gained ``target``."""
    _require_admin(membership)
    if source.pk == target.pk:
        raise InvalidInput("Choose another tag to merge into.")
    # Both locked, in id order: two opposite merges at once cannot deadlock, and a tag being
    # merged cannot be deleted or renamed under us.
    pair = Tag.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    locked = {tag.pk: tag for tag in pair}
    if len(locked) != 2:
        raise Conflict("That tag was deleted meanwhile.")
    source, target = locked[source.pk], locked[target.pk]
    already = TicketTag.objects.filter(tag=target, ticket_id=OuterRef("ticket_id"))
    moving = TicketTag.objects.filter(tag=source).filter(~Exists(already))
    # The links move in one UPDATE (no ticket is read into Python, however many carry it).
    moved = moving.update(tag=target)
    source_name = source.name
    source_key = source.key
    source.delete()  # its remaining links were tickets that had both: cascade removes them
    _retag_saved_views(source_key, target.name)
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Tag merged: {source_name} → {target.name}",
        detail={"from": source_name, "into": target.pk, "tickets": moved},
    )
    return moved


@transaction.atomic
def tag_delete(*, tag: Tag, membership: Membership) -> int:
    """Delete the tag and take it off every ticket. Returns how many tickets carried it."""
    _require_admin(membership)
    tag = _lock_tag(tag)
    carried = TicketTag.objects.filter(tag=tag).count()
    name, key = tag.name, tag.key
    tag.delete()
    _retag_saved_views(key, None)
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Tag deleted: {name}",
        detail={"tag": name, "tickets": carried},
    )
    return carried
