"""The GraphQL queries ingest sends; each must validate against GitHub's public schema.

The simulator resolves exactly these (tests/test_simulator_fidelity.py checks both sides).
Page sizes are 100 (GitHub's maximum), nested connections are sized so that one page costs
one rate-limit point. Pull requests and reviews are keyed on `fullDatabaseId` (a BigInt,
sent as a string): GitHub deprecated their 32-bit `databaseId`.
"""

ACTOR_FIELDS = """
fragment ActorFields on Actor {
  __typename
  login
  ... on User { databaseId id }
  ... on Bot { databaseId id }
  ... on Organization { databaseId id }
  ... on Mannequin { databaseId id }
}
"""

# Issues (not pull requests), oldest-updated first from a watermark, with only what ingest
# stores: the REST list would also bring every pull request, in full, to be thrown away.
ISSUES = (
    """
query Issues($owner: String!, $name: String!, $after: String, $since: DateTime) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    issues(
      first: 100
      after: $after
      orderBy: {field: UPDATED_AT, direction: ASC}
      filterBy: {since: $since}
    ) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        fullDatabaseId
        number
        title
        state
        stateReason(enableDuplicate: true)
        locked
        createdAt
        updatedAt
        closedAt
        authorAssociation
        author { ...ActorFields }
        labels(first: 20) { nodes { name } }
        comments { totalCount }
      }
    }
  }
}
"""
    + ACTOR_FIELDS
)

# Pull requests, newest-updated first, with everything ingest stores about them (merged_by,
# size, author association, labels, linked issues) and their reviews, in pages of 100.
PULL_REQUESTS = (
    """
query PullRequests($owner: String!, $name: String!, $after: String) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequests(first: 100, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        fullDatabaseId
        number
        title
        state
        isDraft
        locked
        createdAt
        updatedAt
        closedAt
        mergedAt
        additions
        deletions
        changedFiles
        authorAssociation
        author { ...ActorFields }
        mergedBy { ...ActorFields }
        labels(first: 20) { nodes { name } }
        closingIssuesReferences(first: 10) { nodes { number } }
        commits { totalCount }
        comments { totalCount }
        reviews(first: 50) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes {
            fullDatabaseId
            state
            submittedAt
            authorAssociation
            author { ...ActorFields }
          }
        }
      }
    }
  }
}
"""
    + ACTOR_FIELDS
)

# The remaining reviews of one pull request that has more than the first page holds.
PULL_REQUEST_REVIEWS = (
    """
query PullRequestReviews($owner: String!, $name: String!, $number: Int!, $after: String) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          fullDatabaseId
          state
          submittedAt
          authorAssociation
          author { ...ActorFields }
        }
      }
    }
  }
}
"""
    + ACTOR_FIELDS
)

# Default-branch history with sizes, the pull request each commit came in with, and its
# authors: GitHub lists the git author first (so `author` is not asked as well: the same
# person twice on every commit cost the simulator and the wire ~10% of an ingest), then the
# `Co-authored-by:` people, each with the account their e-mail is linked to.
COMMIT_HISTORY = """
query CommitHistory($owner: String!, $name: String!, $after: String, $since: GitTimestamp) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    defaultBranchRef {
      name
      target {
        ... on Commit {
          history(first: 100, after: $after, since: $since) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes {
              oid
              messageHeadline
              authoredDate
              committedDate
              additions
              deletions
              changedFilesIfAvailable
              parents { totalCount }
              authors(first: 10) { nodes { name email user { login databaseId id } } }
              committer { name email user { login databaseId id } }
              associatedPullRequests(first: 1) { nodes { number } }
            }
          }
        }
      }
    }
  }
}
"""

# Profiles of up to 100 actors by node id: one request instead of one per person.
PROFILES = """
query Profiles($ids: [ID!]!) {
  rateLimit { cost remaining resetAt }
  nodes(ids: $ids) {
    __typename
    id
    ... on User {
      databaseId login name company email location createdAt
    }
    ... on Bot { databaseId login createdAt }
    ... on Organization { databaseId login name orgEmail: email location createdAt }
  }
}
"""

# Stargazers oldest first, each with the account's creation date read in the same page (the
# star-burst flag asks how new the accounts were): no request per stargazer. GitHub lists
# only user accounts here (`StargazerEdge.node: User!`).
STARGAZERS = """
query Stargazers($owner: String!, $name: String!, $after: String) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    stargazers(first: 100, after: $after, orderBy: {field: STARRED_AT, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { starredAt node { id databaseId login createdAt } }
    }
  }
}
"""

ALL_QUERIES = {
    "Issues": ISSUES,
    "PullRequests": PULL_REQUESTS,
    "PullRequestReviews": PULL_REQUEST_REVIEWS,
    "CommitHistory": COMMIT_HISTORY,
    "Profiles": PROFILES,
    "Stargazers": STARGAZERS,
}
