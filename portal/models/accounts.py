"""Departments and users."""
import secrets
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.database import UTCDateTime
from portal.extensions import db
from portal.models.base import BusinessRecord


class Role(StrEnum):
    SALES = "sales"
    HEAD = "head"
    HR = "hr"
    ADMIN = "admin"


class Language(StrEnum):
    ZH_CN = "zh_CN"
    EN = "en"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Department(BusinessRecord, db.Model):
    __tablename__ = "departments"
    RECORD_LABEL = _l("Departments")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)

    users: Mapped[list["User"]] = relationship(back_populates="department")

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class User(UserMixin, BusinessRecord, db.Model):
    __tablename__ = "users"
    RECORD_LABEL = _l("Users")
    __audit_exclude__ = BusinessRecord.__audit_exclude__ | {"password_hash", "session_token", "last_login_at"}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(60), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False, default=Role.SALES.value)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    language: Mapped[str] = mapped_column(String(10), nullable=False, default=Language.ZH_CN.value)
    # Flask-Login's id for this user; rotating it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, nullable=False, default=new_session_token
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship(back_populates="users")

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

    def audit_label(self) -> str:
        return self.username

    # Flask-Login
    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        """Hash with Werkzeug's default KDF (scrypt) and end every existing session."""
        self.password_hash = generate_password_hash(password)
        self.rotate_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def department_name(self) -> str:
        return self.department.name if self.department else ""

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @staticmethod
    def by_username(username: str) -> "User | None":
        return db.session.scalar(select(User).where(User.username == username.strip()))
