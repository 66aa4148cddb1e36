# Stored invitations held the link with its token. From now on a stored message holds a
# placeholder and the token is minted as it is sent; the ones already stored are rewritten the
# same way (their links keep working: the hashes stay in portal_linktoken).

import re

from django.db import migrations

# Frozen copies of portal.domain.LINK_PLACEHOLDER and of the link's shape, as of this migration.
PLACEHOLDER = "[[portal-link]]"
LINK = re.compile(r"\S*/p/[A-Za-z0-9_-]+/")


def remove_tokens(apps, schema_editor):
    """Put the placeholder where a stored portal message has its link."""
    Message = apps.get_model("outbox", "Message")
    for message in Message.objects.filter(ref__startswith="portal-link:", body__contains="/p/"):
        message.body = LINK.sub(PLACEHOLDER, message.body)
        message.save(update_fields=["body"])


class Migration(migrations.Migration):

    dependencies = [
        ('outbox', '0001_outbox_messages'),
        ('portal', '0002_link_tokens'),
    ]

    operations = [
        migrations.RunPython(remove_tokens, migrations.RunPython.noop),
    ]
