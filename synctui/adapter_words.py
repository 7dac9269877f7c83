"""The built-in adapters' own names for their queues and their fixed notes, marked for the catalogs.

An adapter names its queues in the words of the app it reads (HCM's "Data unsynced", mSupply's "Push
queue"); the dashboard and the CLI show them through `synctui.i18n.adapter_text`, which finds these in
the language in use. Any other text an adapter or a server writes is shown exactly as written. A word
changed in an adapter and not here is shown in English until it is added.
"""

from synctui.i18n import N_

QUEUE_LABELS = (
    # HCM (synctui_hcm.snapshot_view)
    N_("Data unsynced"),
    N_("Awaiting confirmation"),
    N_("Not confirmed / errors"),
    # mSupply (synctui_msupply.mapping)
    N_("Push queue"),
    N_("To pull"),
    N_("Sync errors"),
)
QUEUE_NOTES = (
    N_("changes waiting to go to central"),
    N_("left in the running sync"),
    N_("known only while a sync runs"),
    N_("mSupply has no admin queue"),
    N_("record errors: set options.database to see them"),
    N_("oldest entry: age not known"),
)
