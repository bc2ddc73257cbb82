/** A member of a consumer group as the coordinator describes it. */
export interface GroupMember {
  clientId: string;
  clientHost: string;
}
