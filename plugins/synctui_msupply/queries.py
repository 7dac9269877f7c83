"""The GraphQL operations the adapter sends to an Open mSupply site.

Field names follow the site's own client (`client/packages/system/src/Sync/api/operations.graphql`).
Only these operations exist here: the adapter never initialises a site.
"""

SYNC_STATUS_FRAGMENTS = """
fragment SyncError on SyncErrorNode {
  __typename
  variant
  fullError
}

fragment SyncStatus on SyncStatusNode {
  __typename
  finished
  durationInSeconds
  started
}

fragment SyncStatusWithProgress on SyncStatusWithProgressNode {
  __typename
  finished
  started
  done
  total
}

fragment FullSyncStatus on FullSyncStatusNode {
  __typename
  error {
    ...SyncError
  }
  integration {
    ...SyncStatusWithProgress
  }
  isSyncing
  prepareInitial {
    ...SyncStatus
  }
  pullCentral {
    ...SyncStatusWithProgress
  }
  pullRemote {
    ...SyncStatusWithProgress
  }
  push {
    ...SyncStatusWithProgress
  }
  pullV6 {
    ...SyncStatusWithProgress
  }
  pushV6 {
    ...SyncStatusWithProgress
  }
  summary {
    ...SyncStatus
  }
  lastSuccessfulSync {
    ...SyncStatus
  }
  errorThreshold
  warningThreshold
}
"""

SYNC_SETTINGS_FRAGMENT = """
fragment SyncSettings on SyncSettingsNode {
  __typename
  intervalSeconds
  url
  username
}
"""

# an initialised site, logged in: everything the dashboard needs in one round trip
SYNC_INFO = (
    """
query syncInfo {
  syncStatus: latestSyncStatus {
    ...FullSyncStatus
  }
  numberOfRecordsInPushQueue
  syncSettings {
    ...SyncSettings
  }
}
"""
    + SYNC_STATUS_FRAGMENTS
    + SYNC_SETTINGS_FRAGMENT
)

# before initialisation the site serves a reduced schema without auth (reference §7)
SYNC_STATUS_PRE_INIT = (
    """
query syncStatusPreInit {
  syncStatus: latestSyncStatus {
    ...FullSyncStatus
  }
  syncSettings {
    ...SyncSettings
  }
}
"""
    + SYNC_STATUS_FRAGMENTS
    + SYNC_SETTINGS_FRAGMENT
)

SYNC_STATUS = (
    """
query syncStatus {
  syncStatus: latestSyncStatus {
    ...FullSyncStatus
  }
}
"""
    + SYNC_STATUS_FRAGMENTS
)

INITIALISATION_STATUS = """
query initialisationStatus {
  initialisationStatus {
    status
    siteName
  }
}
"""

SYNC_SETTINGS = (
    """
query syncSettings {
  syncSettings {
    ...SyncSettings
  }
}
"""
    + SYNC_SETTINGS_FRAGMENT
)

ME_STORE = """
query me {
  me {
    ... on UserNode {
      __typename
      username
      defaultStore {
        id
        code
        name
      }
    }
  }
}
"""

AUTH_TOKEN = """
query authToken($username: String!, $password: String!) {
  authToken(password: $password, username: $username) {
    ... on AuthToken {
      __typename
      token
    }
    ... on AuthTokenError {
      __typename
      error {
        __typename
        description
      }
    }
  }
}
"""

MANUAL_SYNC = """
mutation manualSync($fetchPatientId: String) {
  manualSync(fetchPatientId: $fetchPatientId)
}
"""

UPDATE_SYNC_SETTINGS = (
    """
mutation updateSyncSettings($syncSettings: SyncSettingsInput!) {
  updateSyncSettings(input: $syncSettings) {
    __typename
    ... on SyncSettingsNode {
      ...SyncSettings
    }
    ... on SyncErrorNode {
      __typename
      variant
      fullError
    }
  }
}
"""
    + SYNC_SETTINGS_FRAGMENT
)
