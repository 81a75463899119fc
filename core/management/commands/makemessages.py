"""`manage.py makemessages`, also collecting `N_("...")` (the apps mark strings translated later,
labels of what a review shows and e-mail texts, with `gettext_noop as N_`), and never guessing a
new string's translation from a similar old one (a fuzzy guess reads as translated on a page)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
