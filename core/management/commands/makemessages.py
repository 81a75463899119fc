"""`manage.py makemessages`, also collecting `N_("...")`: the apps mark strings translated
later (labels of what a review shows, e-mail texts) with `gettext_noop as N_`."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
