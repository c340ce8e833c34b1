"""The registers of the service center, one module per business area, lowest
first: base, organisation, register, time, system, customers,
reception, cash, complaints, surveys, communication.

Import them from `models` (the entry point), which re-exports every name here.
A module imports lower areas at its top; a later area only inside the function
that needs it, with a comment saying so."""
