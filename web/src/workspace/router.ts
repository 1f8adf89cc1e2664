import { createRouter, createWebHistory } from 'vue-router';
import { isSignedIn } from './session';
import LoginView from './views/LoginView.vue';
import WorkspaceView from './views/WorkspaceView.vue';

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: () => (isSignedIn() ? '/workspace' : '/login') },
    { path: '/login', name: 'login', component: LoginView },
    { path: '/workspace', name: 'workspace', component: WorkspaceView, meta: { auth: true } },
    {
      path: '/tickets',
      name: 'tickets',
      component: () => import('./views/TicketsView.vue'),
      meta: { auth: true },
    },
    {
      path: '/desk',
      name: 'desk',
      component: () => import('./views/DeskView.vue'),
      meta: { auth: true },
    },
    {
      path: '/alerts',
      name: 'alerts',
      component: () => import('./views/AlertsView.vue'),
      meta: { auth: true },
    },
    {
      path: '/qa',
      name: 'qa',
      component: () => import('./views/QaView.vue'),
      meta: { auth: true },
    },
    {
      path: '/knowledge',
      name: 'knowledge',
      component: () => import('./views/KnowledgeView.vue'),
      meta: { auth: true },
    },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
});

router.beforeEach((to) => {
  if (to.meta.auth && !isSignedIn()) return { name: 'login' };
  if (to.name === 'login' && isSignedIn()) return { name: 'workspace' };
  return true;
});
