"""Who signs in: an identity's user, or the user its verified email or phone belongs to, or a
new user. Only verified emails and phone numbers link identities to an existing account."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from services.auth.users import repository as repo
from shared.auth.scopes import Role
from shared.db.models import User


async def sign_in(
    session: AsyncSession,
    provider: str,
    subject: str,
    *,
    verified_email: str | None = None,
    phone: str | None = None,
    display_name: str | None = None,
    admins: Collection[str] = (),
) -> User:
    user = await _find_or_create(session, provider, subject, verified_email, phone, display_name)
    # Admins are named in settings; the role is granted on sign-in, never taken from a provider.
    if user.role != Role.admin and {user.email, user.phone} & set(admins):
        user.role = Role.admin.value
    return user


async def _find_or_create(
    session: AsyncSession,
    provider: str,
    subject: str,
    verified_email: str | None,
    phone: str | None,
    display_name: str | None,
) -> User:
    user = await repo.by_identity(session, provider, subject)
    if user is not None:
        await repo.touch_identity(session, provider, subject)
        return user
    if verified_email:
        user = await repo.by_email(session, verified_email)
    if user is None and phone:
        user = await repo.by_phone(session, phone)
    if user is None:
        user = await repo.create(session, email=verified_email, phone=phone, display_name=display_name)
    else:
        # A verified address the account lacks is now known.
        if verified_email and not user.email:
            user.email = verified_email
        if phone and not user.phone:
            user.phone = phone
    await repo.add_identity(session, user, provider, subject, verified_email)
    return user
