"""Kecamatan and kelurahan of Kota Jambi, keyed by their official Kemendagri codes."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.models.base import Base


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    kode: Mapped[str] = mapped_column(String(8), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))

    kelurahan: Mapped[list["Kelurahan"]] = relationship(back_populates="kecamatan")


class Kelurahan(Base):
    __tablename__ = "kelurahan"

    kode: Mapped[str] = mapped_column(String(13), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    kecamatan_kode: Mapped[str] = mapped_column(ForeignKey("kecamatan.kode"), index=True)

    kecamatan: Mapped[Kecamatan] = relationship(back_populates="kelurahan")
