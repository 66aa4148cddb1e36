"""Every state change of the lab, one transaction each, audited in that transaction.

``units``: identifiers, chains and the one guarded path that changes a unit's state;
``collection``: collection and processing; ``storage``: boxes, readings, excursions;
``release``: deviations, QC results and the signed release; ``labels``: printing and
reconciliation; ``notes``: custody notes that keep the state (an adverse event after use).
"""
