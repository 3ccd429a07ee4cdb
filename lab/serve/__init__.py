"""The workshop room (`lab serve`): lab's lesson screen in attendees' browsers, each attendee
on their own sandbox nodes, behind a room code."""
