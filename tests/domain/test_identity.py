"""Users: the login names a firm actually uses are accepted; names that would break links or mentions are not."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.identity.service import create_user


@pytest.mark.parametrize("name", ["li.na", "wang-wei", "sales_east", "Ops2"])
def test_dotted_and_dashed_login_names_are_accepted(session: Session, name: str) -> None:
    username = f"{name}{uuid.uuid4().hex[:4]}"
    assert create_user(session=session, username=username, password="secret", groups=["sales"]).username == username


@pytest.mark.parametrize("name", ["", "1st", ".hidden", "li na", "a/b", "x" * 65, "李娜"])
def test_names_with_spaces_slashes_or_a_leading_digit_are_refused(session: Session, name: str) -> None:
    with pytest.raises(InvalidInput):
        create_user(session=session, username=name, password="secret", groups=["sales"])
