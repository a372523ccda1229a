from services import whatsapp_menus


async def test_a_typed_number_reads_the_last_menu(db):
    async with db.unit_of_work() as session:
        await whatsapp_menus.remember(session, "628111", 7, [f"stage:{n}" for n in range(1, 13)])
    async with db.unit_of_work() as session:
        assert await whatsapp_menus.pick(session, "628111", "12") == (7, "stage:12")
        assert await whatsapp_menus.pick(session, "628111", " 3. ") == (7, "stage:3")
        assert await whatsapp_menus.pick(session, "628111", "13") is None
        assert await whatsapp_menus.pick(session, "628111", "tiga") is None
        assert await whatsapp_menus.pick(session, "628999", "1") is None


async def test_a_newer_menu_replaces_the_older(db):
    async with db.unit_of_work() as session:
        await whatsapp_menus.remember(session, "628111", 1, ["a", "b"])
    async with db.unit_of_work() as session:
        await whatsapp_menus.remember(session, "628111", 2, ["x", "y", "z"])
    async with db.unit_of_work() as session:
        assert await whatsapp_menus.pick(session, "628111", "3") == (2, "z")
