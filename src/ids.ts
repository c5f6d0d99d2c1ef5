/** Slack identifiers shared by the views we build and the listeners that receive them; keep them stable. */
export const ids = {
  command: '/close-incident',
  closeModal: 'close_incident_modal',
  incidentBlock: 'incident_block',
  incidentInput: 'incident_input',
  noteBlock: 'note_block',
  noteInput: 'note_input',
  /** The "Close incident" message shortcut (manifest.yml features.shortcuts). */
  messageShortcut: 'close_incident_message',
  /** App Home's "Close an incident" button. */
  homeCloseButton: 'home_close_incident',
  /** The modal's channel picker (opened from App Home). */
  channelBlock: 'summary_channel_block',
  channelInput: 'summary_channel_input',
} as const;
