import { inject } from 'vue';
import { workspaceKey, type WorkspaceStore } from './store';

export function useWorkspace(): WorkspaceStore {
  const store = inject(workspaceKey);
  if (!store) throw new Error('workspace store is not provided');
  return store;
}
