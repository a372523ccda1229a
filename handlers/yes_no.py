"""How people type yes and no instead of pressing a button, in one place: each question adds its own verbs
("simpan", "kirim", "ubah") and the numbers of its buttons, and reads the rest from here."""

YES = ("ya", "y", "iya", "yes", "ok", "oke", "benar", "betul")
NO = ("tidak", "tdk", "nggak", "gak", "enggak", "no")
