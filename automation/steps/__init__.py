"""The steps of one cycle, in the order `automation.cycle.Cycle.run` calls them.

1. `reading.read_agenda`: the sheet's rows; those unchanged since they settled are only
   counted, the others become entries.
2. `planning.Planner.plan`: per row, its identity, memory and numbers, what its content
   resolves to, and the first decision (no outside effect).
3. `writing.save_new_ids`: rows about to be published get their `ID Sistem` into the sheet.
4. `acting.act`: the outside effect, journaled in the ledger before and after.
5. `writing.write_back`: the program cells and `Riwayat`, in one write.

Every change of a row's remembered state is made by the core (`automation.core.workflow`,
`automation.core.transitions`); the steps perform effects, journal them and save what the core
returns (`memory.remember`).
"""
