"""The program's one time zone: Kota Jambi keeps Western Indonesian Time (WIB, UTC+7, no daylight saving). Dates the
program talks about (a reminder's day, a report's date, "today") are WIB dates, whatever the server's zone."""

from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
